import base64
from datetime import timedelta

from odoo import Command, api, models
from odoo.tools import file_open
from odoo.tools.barcode import get_barcode_check_digit

DEMO_COMPANY_NAME = "上海华康医疗器械有限公司"
DEMO_PASSWORD = "demo"


def _gtin14(digits):
    """A GTIN-14 (the UDI-DI of GS1 codes) of 13 digits and their check digit."""
    return digits + str(get_barcode_check_digit(digits + "0"))


# Devices: (key, name, code, UDI-DI digits, category, class, category code, shelf life (days),
# receipt minimum (days), receipt policy, tracking, cost, price, registration number, registration ends in)
DEVICES = [
    ("syringe", "一次性使用无菌注射器 5ml", "SYR-5ML", "0690123450001", "sterile", "3", "14-02-01",
     1095, 365, "block", "lot", 0.8, 1.2, "国械注准20193140123", 900),
    ("infusion", "一次性使用输液器 带针", "INF-SET", "0690123450004", "sterile", "3", "14-02-02",
     1095, 365, "block", "lot", 2.5, 4.0, "国械注准20183140321", 325),
    ("mask", "医用外科口罩", "MASK-SURG", "0690123450002", "protective", "2", "14-14-02",
     730, 180, "warn", "lot", 0.5, 0.9, "鲁械注准20202140456", 80),
    ("glucose", "血糖试纸 50片/盒", "GLU-50", "0690123450003", "ivd", "2", "22-11-01",
     540, 120, "block", "lot", 45.0, 68.0, "苏械注准20252400789", 1813),
    ("implant", "骨科植入物 锁定接骨板", "ORT-PLATE", "0690123450005", "implant", "3", "13-03-01",
     1825, 540, "warn", "serial", 3800.0, 6500.0, "国械注准20213130654", 1125),
]  # fmt: skip

# 规格型号, as printed on the vouchers.
SPECIFICATIONS = {
    "syringe": "5ml 0.6×25TWLB",
    "infusion": "0.7×25TWLB 1500mm",
    "mask": "17.5cm×9.5cm 三层 灭菌",
    "glucose": "50片/盒 GOD法",
    "implant": "6孔 3.5mm 钛合金",
}

# 注册证 numbers start with their authority: 国 for NMPA (class III), a province's short name (class II).
REGISTRATION_AUTHORITIES = {
    "国": "国家药品监督管理局",
    "鲁": "山东省药品监督管理局",
    "苏": "江苏省药品监督管理局",
}

# Suppliers: (key, name, city, state, licences: (type, number, authority, days since start, days left,
# covers class II, covers class III))
SUPPLIERS = [
    ("weigao", "威高集团有限公司", "威海市", "base.state_cn_SD", "weigao@example.cn", [
        ("production_licence", "鲁食药监械生产许20010013号", "山东省药品监督管理局", 900, 800, True, True),
        ("business_licence", "91371000166925021X", "威海市市场监督管理局", 7000, None, False, False),
        ("authorization_letter", "WG-SQ-2026-0318", "威高集团有限公司", 200, 165, False, False),
        ("quality_agreement", "WG-ZL-2026-021", "威高集团有限公司", 200, 530, False, False),
    ]),
    ("yuwell", "江苏鱼跃医疗设备股份有限公司", "丹阳市", "base.state_cn_JS", "yuwell@example.cn", [
        ("production_licence", "苏食药监械生产许20010035号", "江苏省药品监督管理局", 1800, 25, True, False),
        ("business_licence", "91321100142375965P", "丹阳市市场监督管理局", 9000, None, False, False),
        ("authorization_letter", "YY-SQ-2026-0102", "江苏鱼跃医疗设备股份有限公司", 120, 245, False, False),
        ("quality_agreement", "YY-ZL-2026-007", "江苏鱼跃医疗设备股份有限公司", 120, 610, False, False),
    ]),
    ("winner", "稳健医疗用品股份有限公司", "深圳市", "base.state_cn_GD", "winner@example.cn", [
        ("device_trade_licence", "粤深食药监械经营许20150321号", "深圳市市场监督管理局", 1850, -20,
         True, True),
    ]),
]  # fmt: skip

# Hospitals: (key, name, city, state, e-mail, minimum shelf life (days), 执业许可证, its days left)
HOSPITALS = [
    ("zhongshan", "复旦大学附属中山医院", "上海市", "base.state_cn_SH", "shebeike@zs-hospital.example.cn",
     180, "42502657531010411A1001", 1500),
    ("ruijin", "上海交通大学医学院附属瑞金医院", "上海市", "base.state_cn_SH", "caigou@rjh.example.cn",
     90, "42502657531010117A1001", 60),
    ("suda", "苏州大学附属第一医院", "苏州市", "base.state_cn_JS", "shebei@sdfyy.example.cn",
     0, "46650128632050811A1001", 1200),
    ("kunshan", "昆山市第一人民医院", "昆山市", "base.state_cn_JS", "", 60, "46696702532058311A1001", -5),
]  # fmt: skip

# Opening stock (期初库存): (lot, device, days to expiry, quantity in 上海中心仓, in 苏州分仓)
OPENING_LOTS = [
    ("SYR2401A", "syringe", -12, 500, 0),
    ("SYR2409B", "syringe", 25, 800, 300),
    ("SYR2412C", "syringe", 80, 1200, 0),
    ("SYR2503D", "syringe", 170, 1500, 400),
    ("SYR2511E", "syringe", 420, 3000, 2000),
    ("MSK2402A", "mask", -3, 0, 2000),
    ("MSK2410B", "mask", 20, 5000, 2000),
    ("MSK2501C", "mask", 120, 8000, 6000),
    ("MSK2509D", "mask", 300, 0, 10000),
    ("GLU2411A", "glucose", 15, 40, 0),
    ("GLU2502B", "glucose", 55, 60, 30),
    ("GLU2505C", "glucose", 100, 0, 100),
    ("GLU2510D", "glucose", 210, 150, 0),
    ("INF2411A", "infusion", 45, 600, 0),
    ("INF2504B", "infusion", 150, 0, 900),
    ("INF2610C", "infusion", 520, 2000, 1000),
    ("ORT23SN0001", "implant", 100, 1, 0),
    ("ORT24SN0002", "implant", 300, 1, 0),
    ("ORT25SN0003", "implant", 700, 0, 1),
    ("ORT25SN0004", "implant", 720, 1, 0),
]


class MedicalExpiryDemo(models.AbstractModel):
    """The demo: a Chinese medical-device distributor, built through the models' own methods.

    Everything is dated relative to today, so the demo never goes stale; every document is made and
    validated as its user would, so every control of the module runs on it.
    """

    _name = "medical.expiry.demo"
    _description = "Medical Expiry Demo"

    @api.model
    def _demo_load(self):
        """The demo data's entry point: the demo company, its data and documents, admin working in it."""
        if self._demo_lang() != "en_US":
            # Odoo loads the module's terms once installed, after its demo: what the demo stores from a
            # translated term (an inspection plan's frequency in its name) is written in Chinese only so.
            self.env["ir.module.module"]._load_module_terms(["medical_expiry"], [self._demo_lang()])
        company = self._demo_create_company()
        self.env["ir.model.data"]._update_xmlids(
            [{"xml_id": "medical_expiry.demo_company", "record": company, "noupdate": True}]
        )
        demo = self._demo_build(company)
        self._demo_make_home(self.env.ref("base.user_admin"), company)
        return demo

    @api.model
    def _demo_create_company(self, name=DEMO_COMPANY_NAME, email_domain="huakang-med.example.cn"):
        """A distributor in Shanghai, counting in CNY, whose expiry dates are Shanghai calendar dates; what
        the module writes for the company (audit reasons) is in its language."""
        with file_open("medical_expiry/demo/demo_company_logo.png", "rb") as logo:
            logo = base64.b64encode(logo.read())
        company = self.env["res.company"].create(
            {
                "name": name,
                "currency_id": self.env.ref("base.CNY").id,
                "country_id": self.env.ref("base.cn").id,
                "state_id": self.env.ref("base.state_cn_SH").id,
                "city": "浦东新区",
                "street": "张江路 88 号",
                "zip": "201203",
                "phone": "+86 21 5080 8888",
                "email": f"service@{email_domain}",
                "expiry_tz": "Asia/Shanghai",
                "logo": logo,
            }
        )
        company.partner_id.lang = self._demo_lang()
        return company

    @api.model
    def _demo_lang(self):
        """简体中文 when the database has it (`make run` loads it), else English."""
        return "zh_CN" if self.env["res.lang"]._lang_get("zh_CN") else "en_US"

    @api.model
    def _demo_make_home(self, user, company):
        """``user`` opens the database on ``company`` alone, in Chinese and Shanghai time."""
        user.write(
            {
                "company_ids": [Command.link(company.id)],
                "company_id": company.id,
                "tz": "Asia/Shanghai",
                "lang": self._demo_lang(),
            }
        )

    @api.model
    def _demo_build(self, company):
        """Master data and documents of ``company``; a dict of what was made, by role."""
        demo = {"company": company}
        self = self.with_company(company)
        demo["users"] = self._demo_users(company)
        demo["warehouses"] = self._demo_warehouses(company)
        demo["devices"] = self._demo_devices(company)
        demo["suppliers"], demo["hospitals"] = self._demo_partners(company)
        self._demo_first_business(demo)
        demo["rules"] = self._demo_rules(company, demo)
        demo["lots"] = self._demo_opening_stock(company, demo)
        self._demo_documents(demo)
        self._demo_history(demo)
        # The dashboard's months are filled at install, before the demo exists: fill them again.
        self.env["medical.expiry.kpi"].sudo()._refresh_history(company)
        demo["stock_inspections"] = self._demo_stock_inspection(demo)
        demo["nonconforming"] = self._demo_nonconforming(demo)
        self._demo_outbound_check(demo)
        return demo

    # ------------------------------------------------------------------
    # Master data
    # ------------------------------------------------------------------
    @api.model
    def _demo_users(self, company):
        """A quality manager (质量负责人) and a warehouse manager (仓储主管); password ``demo``."""
        domain = company.email.split("@")[1]
        group = self.env.ref
        common = {
            "company_id": company.id,
            "company_ids": [Command.set(company.ids)],
            "tz": "Asia/Shanghai",
            "lang": self._demo_lang(),
            "password": DEMO_PASSWORD,
        }
        Users = self.env["res.users"].with_context(no_reset_password=True)
        return {
            "quality": Users.create(
                {
                    **common,
                    "name": "王芳",
                    "login": f"wangfang@{domain}",
                    "email": f"wangfang@{domain}",
                    "groups_id": [
                        Command.link(group("stock.group_stock_user").id),
                        Command.link(group("medical_expiry.group_expiry_compliance").id),
                        Command.link(group("medical_expiry.group_expiry_manager").id),
                    ],
                }
            ),
            "warehouse": Users.create(
                {
                    **common,
                    "name": "李强",
                    "login": f"liqiang@{domain}",
                    "email": f"liqiang@{domain}",
                    "groups_id": [
                        Command.link(group("stock.group_stock_manager").id),
                        Command.link(group("purchase.group_purchase_user").id),
                        Command.link(group("sales_team.group_sale_salesman").id),
                        Command.link(group("medical_expiry.group_expiry_manager").id),
                    ],
                }
            ),
        }

    @api.model
    def _demo_warehouses(self, company):
        """上海中心仓 and 苏州分仓, each with its 待处理区 (quarantine); goods between them travel 在途."""
        Warehouse = self.env["stock.warehouse"]
        shanghai = Warehouse.search([("company_id", "=", company.id)], limit=1)
        if shanghai:
            shanghai.write({"name": "上海中心仓", "code": "SH"})
        else:
            shanghai = Warehouse.create({"name": "上海中心仓", "code": "SH", "company_id": company.id})
        suzhou = Warehouse.create({"name": "苏州分仓", "code": "SZ", "company_id": company.id})
        self.env["stock.location"].create(
            [
                {
                    "name": "待处理区",
                    "usage": "internal",
                    "is_quarantine": True,
                    "location_id": warehouse.view_location_id.id,
                    "company_id": company.id,
                }
                for warehouse in shanghai | suzhou
            ]
        )
        company.internal_transit_location_id.name = "在途"
        return {"shanghai": shanghai, "suzhou": suzhou}

    @api.model
    def _demo_devices(self, company):
        """The distributor's catalogue, each device with its UDI-DI (GTIN-14) and 注册证."""
        categories = {"root": self.env["product.category"].create({"name": "医疗器械"})}
        for key, name in [
            ("sterile", "无菌耗材"),
            ("protective", "防护用品"),
            ("ivd", "体外诊断试剂"),
            ("implant", "植入物"),
        ]:
            categories[key] = self.env["product.category"].create(
                {"name": name, "parent_id": categories["root"].id}
            )
        today = company._expiry_today()
        devices = {}
        for (key, name, code, di, categ, device_class, category_code, shelf_life, receipt_days, policy,
             tracking, cost, price, registration, registration_days) in DEVICES:  # fmt: skip
            device = self.env["product.product"].create(
                {
                    "name": name,
                    "default_code": code,
                    "barcode": _gtin14(di),
                    "company_id": company.id,
                    "categ_id": categories[categ].id,
                    "is_storable": True,
                    "tracking": tracking,
                    "use_expiration_date": True,
                    "expiration_time": shelf_life,
                    "medical_device_class": device_class,
                    "device_category_code": category_code,
                    "device_specification": SPECIFICATIONS[key],
                    "min_shelf_life_receipt_days": receipt_days,
                    "receipt_shelf_life_policy": policy,
                    "standard_price": cost,
                    "list_price": price,
                }
            )
            self.env["medical.qualification"].create(
                {
                    "qualification_type": "registration_certificate",
                    "product_tmpl_id": device.product_tmpl_id.id,
                    "number": registration,
                    "issuing_authority": REGISTRATION_AUTHORITIES[registration[0]],
                    "date_start": today - timedelta(days=1800 - registration_days),
                    "date_end": today + timedelta(days=registration_days),
                    "company_id": company.id,
                }
            )
            devices[key] = device
        devices["categories"] = categories
        return devices

    @api.model
    def _demo_partners(self, company):
        """Suppliers with their licences (首营资质) and hospitals with their 医疗机构执业许可证."""
        today = company._expiry_today()
        Qualification = self.env["medical.qualification"]
        suppliers, hospitals = {}, {}
        for key, name, city, state, email, licences in SUPPLIERS:
            supplier = suppliers[key] = self._demo_partner(company, name, city, state, email, supplier_rank=1)
            Qualification.create(
                [
                    {
                        "qualification_type": licence_type,
                        "partner_id": supplier.id,
                        "number": number,
                        "issuing_authority": authority,
                        "date_start": today - timedelta(days=since),
                        "date_end": days_left is not None and today + timedelta(days=days_left),
                        "covers_class_2": class_2,
                        "covers_class_3": class_3,
                        "company_id": company.id,
                    }
                    for licence_type, number, authority, since, days_left, class_2, class_3 in licences
                ]
            )
        for key, name, city, state, email, min_days, licence, days_left in HOSPITALS:
            hospital = hospitals[key] = self._demo_partner(
                company,
                name,
                city,
                state,
                email,
                customer_rank=1,
                medical_customer_type="institution",
                min_shelf_life_days=min_days,
            )
            Qualification.create(
                {
                    "qualification_type": "practice_licence",
                    "partner_id": hospital.id,
                    "number": licence,
                    "issuing_authority": f"{hospital.state_id.name}卫生健康委员会",
                    "date_start": today - timedelta(days=1800 - days_left),
                    "date_end": today + timedelta(days=days_left),
                    "company_id": company.id,
                }
            )
        return suppliers, hospitals

    @api.model
    def _demo_partner(self, company, name, city, state, email, **values):
        """A Chinese company partner of ``company`` in ``city`` (``state``: a state's xmlid), who reads
        in the demo's language; ``values`` say what it is to the distributor (supplier, hospital)."""
        return self.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "company_id": company.id,
                "city": city,
                "state_id": self.env.ref(state).id,
                "country_id": self.env.ref("base.cn").id,
                "email": email,
                "lang": self._demo_lang(),
                **values,
            }
        )

    @api.model
    def _demo_first_business(self, demo):
        """首营审核: quality approved the suppliers whose documents are complete (稳健's licence has lapsed)
        and every device, each signed in the signature window; purchasing submitted them."""
        quality, purchasing = demo["users"]["quality"], demo["users"]["warehouse"]
        Approval = self.env["medical.first.business.approval"]
        holders = [demo["suppliers"]["weigao"], demo["suppliers"]["yuwell"]] + [
            device.product_tmpl_id for key, device in demo["devices"].items() if key != "categories"
        ]
        for holder in holders:
            approval = Approval._approval_of(holder, demo["company"])
            approval.with_user(purchasing).action_submit()
            self._demo_sign(
                quality,
                approval.with_user(quality).action_approve(),
                "首营资料齐全有效，经营范围相符，同意首营。",
            )

    @api.model
    def _demo_rules(self, company, demo):
        """The company's levels, alerting the people who act on them: the warehouse manager plans
        transfers and purchases, the quality manager decides on what may no longer ship."""
        users, devices = demo["users"], demo["devices"]
        warehouse, quality = users["warehouse"], users["quality"]
        values = [
            ("近效期 180 天", 180, "allow", "adjust_purchase", {}, warehouse, 3),
            ("近效期 90 天", 90, "allow", "transfer", {}, warehouse, 2),
            ("近效期 30 天", 30, "warn", "return_supplier", {}, warehouse | quality, 1),
            ("体外诊断试剂 60 天 禁止出库", 60, "block", "return_supplier",
             {"categ_id": devices["categories"]["ivd"].id}, quality, 1),
            ("体外诊断试剂 120 天", 120, "warn", "clearance",
             {"categ_id": devices["categories"]["ivd"].id}, warehouse, 2),
            ("骨科植入物 365 天", 365, "warn", "transfer", {"product_id": devices["implant"].id}, quality, 2),
        ]  # fmt: skip
        return self.env["medical.expiry.rule"].create(
            [
                {
                    "name": name,
                    "days_before_expiry": days,
                    "outbound_policy": policy,
                    "suggested_action": action,
                    "user_ids": [Command.set(recipients.ids)],
                    "company_id": company.id,
                    "color": color,
                    **scope,
                }
                for name, days, policy, action, scope, recipients, color in values
            ]
        )

    @api.model
    def _demo_opening_stock(self, company, demo):
        """The stock counted when the distributor started with the module (期初盘点), lot by lot."""
        today = company._expiry_today()
        warehouses, devices = demo["warehouses"], demo["devices"]
        Lot, Quant = self.env["stock.lot"], self.env["stock.quant"].with_context(inventory_mode=True)
        lots, quants = {}, Quant
        for name, device, days, shanghai, suzhou in OPENING_LOTS:
            lots[name] = Lot.create(
                {
                    "name": name,
                    "product_id": devices[device].id,
                    "company_id": company.id,
                    "expiration_date": company._expiry_datetime_of(today + timedelta(days=days)),
                }
            )
            for warehouse, quantity in ((warehouses["shanghai"], shanghai), (warehouses["suzhou"], suzhou)):
                if quantity:
                    quants |= Quant.create(
                        {
                            "product_id": devices[device].id,
                            "lot_id": lots[name].id,
                            "location_id": warehouse.lot_stock_id.id,
                            "inventory_quantity": quantity,
                        }
                    )
        quants.with_user(demo["users"]["warehouse"]).action_apply_inventory()
        # Levels and blocks as the nightly job leaves them.
        self.env["stock.lot"]._cron_refresh_expiry()
        return lots
