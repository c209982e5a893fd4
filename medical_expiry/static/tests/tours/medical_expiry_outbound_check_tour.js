/** @odoo-module **/
import { registry } from "@web/core/registry";

// 出库复核: a second person ticks each line of a picked delivery, then it can be validated.
registry.category("web_tour.tours").add("medical_expiry_outbound_check", {
    steps: () => [
        { trigger: ".o_form_view button[name=action_start_outbound_check]", run: "click" },
        { trigger: ".o_form_view .o_field_widget[name=line_ids] td:contains('LOT-CHECK')" },
        { trigger: ".o_form_view .o_field_widget[name=line_ids] button[name=action_confirm]", run: "click" },
        { trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('Checked')" },
        { trigger: ".o_breadcrumb .breadcrumb-item a", run: "click" },
        { trigger: ".o_form_view .o_field_widget[name=outbound_checker_id]:contains('Admin')" },
        { trigger: ".o_form_view button[name=button_validate]", run: "click" },
        { trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('Done')" },
    ],
});
