/** @odoo-module **/
import { registry } from "@web/core/registry";

// 首营审核: purchasing submits the supplier's approval, quality approves it with a signature.
registry.category("web_tour.tours").add("medical_expiry_first_business_approval", {
    steps: () => [
        { trigger: ".o_form_view .o_first_business_checklist:contains('Quality Assurance Agreement')" },
        { trigger: ".o_form_view button[name=action_submit]", run: "click" },
        { trigger: ".o_form_view button[name=action_approve]", run: "click" },
        { trigger: ".modal .o_field_widget[name=reason] textarea", run: "edit Licences and agreement checked" },
        { trigger: ".modal .o_field_widget[name=meaning] input[data-value=approval]", run: "click" },
        { trigger: ".modal .o_field_widget[name=password] input", run: "edit admin" },
        { trigger: ".modal button[name=action_sign]", run: "click" },
        { trigger: "body:not(:has(.modal))" },
        { trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('Approved')" },
    ],
});
