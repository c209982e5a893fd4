"""docker/ read as Docker would: no Docker engine runs on our machines, so this is what keeps it correct."""

import ast
import configparser
import re
from pathlib import Path, PurePosixPath

import yaml

import odoo

REPO = Path(__file__).resolve().parent.parent
DOCKER = REPO / "docker"


def compose():
    return yaml.safe_load((DOCKER / "docker-compose.yml").read_text())


def odoo_service():
    return compose()["services"]["odoo"]


def mounts(service):
    """{container path: host path resolved from docker/} of a service's bind mounts."""
    result = {}
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith((".", "/")):
            result[target] = (DOCKER / source).resolve()
    return result


def test_odoo_is_built_from_the_official_18_image():
    build = odoo_service()["build"]
    dockerfile = (DOCKER / build["context"]).resolve() / build["dockerfile"]
    assert dockerfile == DOCKER / "Dockerfile"
    from_lines = [line for line in dockerfile.read_text().splitlines() if line.startswith("FROM ")]
    assert from_lines == ["FROM odoo:18.0"]


def test_the_image_installs_the_oca_addons_of_requirements():
    dockerfile = (DOCKER / "Dockerfile").read_text()
    assert "COPY requirements.txt " in dockerfile
    assert "grep -E '^odoo-addon-'" in dockerfile and "pip3 install" in dockerfile
    requirements = (REPO / "requirements.txt").read_text()
    assert re.search(r"^odoo-addon-report_xlsx", requirements, re.M)


def test_every_dependency_is_in_odoo_or_an_oca_requirement():
    manifest = ast.literal_eval((REPO / "medical_expiry" / "__manifest__.py").read_text())
    requirements = (REPO / "requirements.txt").read_text()
    odoo_src = Path(odoo.__file__).resolve().parent.parent
    for module in manifest["depends"]:
        in_odoo = (odoo_src / "addons" / module).is_dir() or (odoo_src / "odoo" / "addons" / module).is_dir()
        assert in_odoo or re.search(rf"^odoo-addon-{module}\b", requirements, re.M), module


def test_the_repository_is_mounted_as_extra_addons_with_its_configuration():
    service = odoo_service()
    mounted = mounts(service)
    assert mounted["/mnt/extra-addons"] == REPO
    assert (mounted["/mnt/extra-addons"] / "medical_expiry" / "__manifest__.py").is_file()
    assert mounted["/etc/odoo/odoo.conf"] == DOCKER / "odoo.conf"
    assert "/var/lib/odoo" in [volume.split(":")[1] for volume in service["volumes"]]
    config = configparser.ConfigParser()
    config.read(DOCKER / "odoo.conf")
    options = config["options"]
    assert "/mnt/extra-addons" in options["addons_path"].split(",")
    assert options["db_host"] == "db"
    assert options.getboolean("without_demo") is False


def test_odoo_starts_after_postgres_on_port_8069():
    services = compose()["services"]
    assert services["db"]["image"].startswith("postgres:")
    assert services["odoo"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert "8069:8069" in services["odoo"]["ports"]
    config = configparser.ConfigParser()
    config.read(DOCKER / "odoo.conf")
    assert config["options"]["db_user"] == services["db"]["environment"]["POSTGRES_USER"]
    assert config["options"]["db_password"] == services["db"]["environment"]["POSTGRES_PASSWORD"]


def test_the_command_installs_medical_expiry_once_then_serves_the_demo():
    service = odoo_service()
    dockerfile = (DOCKER / "Dockerfile").read_text()
    command = service["command"][0]
    copied = re.search(rf"^COPY (\S+) (\S*/{command})$", dockerfile, re.M)
    assert copied, f"the Dockerfile installs {command}"
    script = (REPO / copied.group(1)).read_text()
    assert PurePosixPath(copied.group(2)).parent.as_posix() == "/usr/local/bin"
    install, serve = script.index("-i medical_expiry --stop-after-init"), script.index("exec odoo ")
    assert "state = 'installed'" in script[:install], "installs only when not installed yet"
    assert install < serve
    assert "--load-language=zh_CN" in script[install:serve], "the demo's admin works in 简体中文"
    assert "DB=medical_expiry_demo" in script
