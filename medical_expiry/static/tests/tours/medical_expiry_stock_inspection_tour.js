/** @odoo-module **/
import { registry } from "@web/core/registry";

// 在库养护: the inspector starts the month's inspection, records each lot (the expired one to quarantine),
// and the manager closes it with a signature.
function recordLine(lot, action) {
    const row = `.o_field_widget[name=line_ids] .o_data_row:contains('${lot}')`;
    const steps = [
        { trigger: `${row} td[name=appearance]`, run: "click" },
        { trigger: `${row} .o_field_widget[name=appearance] select`, run: 'select "ok"' },
        { trigger: `${row} .o_field_widget[name=expiry_check] select`, run: 'select "confirmed"' },
    ];
    if (action) {
        steps.push({ trigger: `${row} .o_field_widget[name=action] select`, run: `select "${action}"` });
    }
    return steps;
}

registry.category("web_tour.tours").add("medical_expiry_stock_inspection", {
    steps: () => [
        { trigger: ".o_form_view .o_data_row:contains('INS-NEAR')" },
        { trigger: ".o_form_view button[name=action_start]", run: "click" },
        { trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('In Progress')" },
        ...recordLine("INS-EXPIRED", "quarantine"),
        ...recordLine("INS-NEAR"),
        ...recordLine("INS-GOOD"),
        { trigger: ".o_form_view .o_form_button_save", run: "click" },
        { trigger: ".o_form_view .o_form_saved" },
        { trigger: ".o_form_view button[name=action_close]", run: "click" },
        { trigger: ".modal .o_field_widget[name=reason] textarea", run: "edit Stock checked, expired lot set aside" },
        { trigger: ".modal .o_field_widget[name=meaning] input[data-value=approval]", run: "click" },
        { trigger: ".modal .o_field_widget[name=password] input", run: "edit admin" },
        { trigger: ".modal button[name=action_sign]", run: "click" },
        { trigger: "body:not(:has(.modal))" },
        { trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('Closed')" },
    ],
});
