/** @odoo-module **/
import { registry } from "@web/core/registry";

// 不合格品: the quality manager approves the destruction, then the goods are destroyed before a witness,
// each step signed in its dialog.
function sign(reason) {
    return [
        { trigger: ".modal .o_field_widget[name=reason] textarea", run: `edit ${reason}` },
        { trigger: ".modal .o_field_widget[name=meaning] input[data-value=approval]", run: "click" },
        { trigger: ".modal .o_field_widget[name=password] input", run: "edit admin" },
        { trigger: ".modal button[name=action_sign]", run: "click" },
        { trigger: "body:not(:has(.modal))" },
    ];
}

registry.category("web_tour.tours").add("medical_expiry_nonconforming", {
    steps: () => [
        { trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('Reported')" },
        { trigger: ".o_form_view button[name=action_approve]", run: "click" },
        { trigger: ".modal .o_field_widget[name=disposition] input[data-value=destroy]", run: "click" },
        ...sign("Crushed cartons, destroy"),
        { trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('Approved')" },
        { trigger: ".o_form_view button[name=action_destroy]", run: "click" },
        { trigger: ".modal .o_field_widget[name=witness_ids] input", run: "edit Quality" },
        { trigger: ".o-autocomplete--dropdown-item:contains('Quality Witness')", run: "click" },
        { trigger: ".modal .o_field_widget[name=witness_ids] .o_tag:contains('Quality Witness')" },
        ...sign("Destroyed before the quality witness"),
        { trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('Done')" },
    ],
});
