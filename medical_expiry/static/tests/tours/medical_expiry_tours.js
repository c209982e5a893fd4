/** @odoo-module **/
import { registry } from "@web/core/registry";

const tours = registry.category("web_tour.tours");

// A confirmed delivery is reserved FEFO: the earliest lot that may leave, never the expired one.
tours.add("medical_expiry_fefo_delivery", {
    steps: () => [
        {
            trigger: ".o_field_widget[name=move_ids_without_package] .o_data_row button.fa-list",
            run: "click",
        },
        { trigger: ".modal .o_data_row:contains('SYR-GOOD')" },
        { trigger: ".modal:not(:has(.o_data_row:contains('SYR-EXPIRED')))" },
        { trigger: ".modal:not(:has(.o_data_row:contains('SYR-LATER')))" },
        { trigger: ".modal .modal-footer .btn-primary", run: "click" },
        { trigger: "body:not(:has(.modal))" },
    ],
});

// Validate a delivery with an expired lot set by hand: refused, naming the lot.
tours.add("medical_expiry_expired_refused", {
    steps: () => [
        { trigger: ".o_form_view button[name=button_validate]", run: "click" },
        { trigger: ".modal:contains('SYR-EXPIRED'):contains('expired')" },
        { trigger: ".modal .modal-footer .btn-primary", run: "click" },
        { trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:not(:contains('Done'))" },
    ],
});

// The expiry workbench opens on its kanban, grouped by bucket.
tours.add("medical_expiry_workbench_kanban", {
    steps: () => [
        { trigger: ".o_kanban_renderer .o_kanban_group .o_kanban_record:contains('SYR-GOOD')" },
        { trigger: ".o_kanban_renderer .o_kanban_group .o_kanban_record:contains('SYR-LATER')" },
        { trigger: ".o_switch_view.o_pivot", run: "click" },
        { trigger: ".o_pivot table .o_pivot_cell_value" },
    ],
});

// Unblock a lot: the signature dialog asks for a reason, a meaning and the password again.
tours.add("medical_expiry_signed_unblock", {
    steps: () => [
        { trigger: ".o_form_view button[name=action_unblock]", run: "click" },
        { trigger: ".modal .o_field_widget[name=reason] textarea", run: "edit Re-inspected, packaging intact" },
        { trigger: ".modal .o_field_widget[name=meaning] input[data-value=approval]", run: "click" },
        { trigger: ".modal .o_field_widget[name=password] input", run: "edit admin" },
        { trigger: ".modal button[name=action_sign]", run: "click" },
        { trigger: "body:not(:has(.modal))" },
        { trigger: ".o_form_view button[name=action_block]" },
    ],
});

// Receive by scanning: the GS1 element string fills lot, expiry date and quantity on the receipt.
tours.add("medical_expiry_gs1_receipt", {
    steps: () => [
        {
            trigger: ".o_form_view .o_field_widget[name=udi_code] input",
            // Pasted at once, as a scanner in keyboard mode or a copied code arrives.
            run(helpers) {
                const input = helpers.anchor;
                input.value = "(01)06901234567892(17)281231(10)LOT-TOUR(30)4";
                input.dispatchEvent(new Event("input", { bubbles: true }));
                input.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        { trigger: ".o_form_view button[name=action_apply_udi]", run: "click" },
        {
            trigger: ".o_field_widget[name=move_ids_without_package] .o_data_row button.fa-list",
            run: "click",
        },
        { trigger: ".modal .o_data_row:contains('LOT-TOUR')" },
        { trigger: ".modal .modal-footer .btn-primary", run: "click" },
        { trigger: "body:not(:has(.modal))" },
    ],
});

// Start a recall from a lot: the wizard opens on that lot and creates the recall record.
tours.add("medical_expiry_recall_from_lot", {
    steps: () => [
        { trigger: ".o_form_view .o_cp_action_menus .dropdown-toggle", run: "click" },
        { trigger: ".o-dropdown--menu .o-dropdown-item:contains('Recall')", run: "click" },
        { trigger: ".modal .o_field_widget[name=lot_ids] .o_tag:contains('SYR-GOOD')" },
        { trigger: ".modal .o_field_widget[name=recall_class] select", run: 'select "class_2"' },
        { trigger: ".modal .o_field_widget[name=reason] textarea", run: "edit Sterile barrier may be damaged" },
        { trigger: ".modal button[name=action_create]", run: "click" },
        { trigger: "body:not(:has(.modal))" },
        { trigger: ".o_form_view .o_field_widget[name=name]:contains('RC/')" },
    ],
});

// A user in Shanghai receives a lot typing its 有效期至 in the detailed operations: the date picker sends
// local midnight, the lot keeps the day.
tours.add("medical_expiry_type_lot_expiry", {
    steps: () => [
        {
            trigger: ".o_field_widget[name=move_ids_without_package] .o_data_row button.fa-list",
            run: "click",
        },
        { trigger: ".modal .o_data_row td[name=lot_name]", run: "click" },
        { trigger: ".modal .o_data_row .o_field_widget[name=lot_name] input", run: "edit SH-TYPED" },
        {
            trigger: ".modal .o_data_row .o_field_widget[name=expiration_date] input",
            run: "edit 12/31/2026",
        },
        { trigger: ".modal .modal-footer .btn-primary", run: "click" },
        { trigger: "body:not(:has(.modal))" },
        { trigger: ".o_form_button_save", run: "click" },
        { trigger: ".o_form_view .o_form_saved" },
    ],
});

// The same user scans the lot's own UDI on a receipt: the code's (17) date agrees with the typed one.
tours.add("medical_expiry_scan_typed_lot", {
    steps: () => [
        {
            trigger: ".o_form_view .o_field_widget[name=udi_code] input",
            run(helpers) {
                const input = helpers.anchor;
                input.value = "(01)06901234567892(17)261231(10)SH-TYPED(30)3";
                input.dispatchEvent(new Event("input", { bubbles: true }));
                input.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        { trigger: ".o_form_view button[name=action_apply_udi]", run: "click" },
        {
            trigger: ".o_field_widget[name=move_ids_without_package] .o_data_row button.fa-list",
            run: "click",
        },
        // The scanned line takes the existing lot, and shows its day, without a time.
        { trigger: ".modal .o_data_row:contains('12/31/2026'):not(:contains(':'))" },
        { trigger: ".modal .modal-footer .btn-primary", run: "click" },
        { trigger: "body:not(:has(.modal))" },
    ],
});
