#!/usr/bin/env python3
"""The django-tenants baseline of the provisioning benchmark.

Run with the venv's python (django, django-tenants, psycopg2-binary from PyPI):

  django_baseline.py setup   --dir D --host SOCKET_DIR --db NAME
      writes a minimal Django project in D (a shared app `customers` with the
      tenant and domain models; one tenant app `content` whose two migrations
      mirror Civitas's tenant set: `pages` and `blog_posts`, same columns, checks,
      unique key and partial indexes), creates database NAME and migrates the
      shared schema.
  django_baseline.py create  --dir D --count N --out FILE.json
                             [--civitas-api URL --civitas-token T --civitas-out FILE.json]
      creates N tenants the django-tenants way, one at a time, each timed:
      Client(schema_name=...).save() (CREATE SCHEMA + migrate_schemas for it),
      its primary Domain, and the same four default pages Civitas writes; with
      --civitas-*, interleaved with N Civitas creates (civitas_driver.create_one).
  django_baseline.py upgrade --dir D --out FILE.json
      adds one migration to `content` (a new table and a new column on pages,
      as the Civitas run does), then times `manage.py migrate_schemas --tenant`.
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

SETTINGS = '''
import os
SECRET_KEY = "benchmark-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
ROOT_URLCONF = "benchsite.urls"
MIDDLEWARE = ["django_tenants.middleware.main.TenantMainMiddleware"]
DATABASES = {
    "default": {
        "ENGINE": "django_tenants.postgresql_backend",
        "NAME": os.environ["BENCH_DB"],
        "HOST": os.environ["BENCH_PGHOST"],
        "USER": "postgres",
    }
}
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
SHARED_APPS = ["django_tenants", "django.contrib.contenttypes", "customers"]
TENANT_APPS = ["content"]
INSTALLED_APPS = SHARED_APPS + [a for a in TENANT_APPS if a not in SHARED_APPS]
TENANT_MODEL = "customers.Client"
TENANT_DOMAIN_MODEL = "customers.Domain"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
'''

CUSTOMERS = '''
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


class Client(TenantMixin):
    name = models.CharField(max_length=200)
    created_on = models.DateTimeField(auto_now_add=True)
    auto_create_schema = True


class Domain(DomainMixin):
    pass
'''

PAGE = '''
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Page(models.Model):
    slug = models.TextField()
    locale = models.TextField()
    title = models.CharField(max_length=200)
    summary = models.TextField(default="")
    body = models.TextField(default="")
    position = models.IntegerField(default=0)
    published = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    {probe}

    class Meta:
        db_table = "pages"
        constraints = [
            models.UniqueConstraint(fields=["slug", "locale"], name="pages_slug_locale"),
            models.CheckConstraint(condition=Q(slug__regex=r"^[a-z0-9][a-z0-9-]{{0,79}}$"), name="pages_slug_check"),
            models.CheckConstraint(condition=Q(locale__regex=r"^[a-z]{{2}}$"), name="pages_locale_check"),
        ]
        indexes = [models.Index(fields=["locale", "position"], name="pages_listing", condition=Q(published=True))]
'''

BLOG = '''

class BlogPost(models.Model):
    locale = models.TextField()
    title = models.CharField(max_length=200)
    body = models.TextField(default="")
    published_at = models.DateTimeField(null=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "blog_posts"
        constraints = [models.CheckConstraint(condition=Q(locale__regex=r"^[a-z]{2}$"), name="blog_posts_locale_check")]
        indexes = [
            models.Index(
                fields=["locale", "-published_at"], name="blog_posts_listing", condition=Q(published_at__isnull=False)
            )
        ]
'''

PROBE_MODEL = '''

class UpgradeProbe(models.Model):
    note = models.TextField(default="")

    class Meta:
        db_table = "upgrade_probe"
'''


def percentile(values, p):
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))]


def summary(values):
    return {
        "n": len(values),
        "median_ms": round(statistics.median(values) * 1000, 1),
        "p99_ms": round(percentile(values, 99) * 1000, 1),
        "min_ms": round(min(values) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
        "mean_ms": round(statistics.fmean(values) * 1000, 1),
    }


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def manage(project, *args):
    subprocess.run([sys.executable, os.path.join(project, "manage.py"), *args], check=True, cwd=project)


def models_py(probe):
    page = PAGE.format(probe="probe = models.TextField(null=True)" if probe else "")
    return page + BLOG + (PROBE_MODEL if probe else "")


def setup(args):
    d = args.dir
    os.environ["BENCH_DB"], os.environ["BENCH_PGHOST"] = args.db, args.host
    import psycopg2

    admin = psycopg2.connect(host=args.host, user="postgres", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{args.db}"')
    admin.cursor().execute(f'CREATE DATABASE "{args.db}"')
    admin.close()
    write(os.path.join(d, "bench.env"), json.dumps({"BENCH_DB": args.db, "BENCH_PGHOST": args.host}))
    write(os.path.join(d, "manage.py"), (
        "import os, sys, json\n"
        "here = os.path.dirname(os.path.abspath(__file__))\n"
        "os.environ.update(json.load(open(os.path.join(here, 'bench.env'))))\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'benchsite.settings')\n"
        "from django.core.management import execute_from_command_line\n"
        "execute_from_command_line(sys.argv)\n"))
    write(os.path.join(d, "benchsite", "__init__.py"), "")
    write(os.path.join(d, "benchsite", "settings.py"), SETTINGS)
    write(os.path.join(d, "benchsite", "urls.py"), "urlpatterns = []\n")
    for app in ("customers", "content"):
        write(os.path.join(d, app, "__init__.py"), "")
        write(os.path.join(d, app, "migrations", "__init__.py"), "")
    write(os.path.join(d, "customers", "models.py"), CUSTOMERS)
    manage(d, "makemigrations", "customers", "-v", "0")
    # Two migrations, as Civitas has: pages, then blog_posts.
    write(os.path.join(d, "content", "models.py"), PAGE.format(probe=""))
    manage(d, "makemigrations", "content", "--name", "pages", "-v", "0")
    write(os.path.join(d, "content", "models.py"), models_py(probe=False))
    manage(d, "makemigrations", "content", "--name", "blog_posts", "-v", "0")
    manage(d, "migrate_schemas", "--shared", "-v", "0")


def django_in(project):
    sys.path.insert(0, project)
    os.environ.update(json.load(open(os.path.join(project, "bench.env"))))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")
    import django

    django.setup()


def default_pages(name):
    # The same four rows Civitas writes for a fr+en tenant (texts of similar length).
    pages = []
    for locale in ("fr", "en"):
        pages.append(dict(slug="accessibilite", locale=locale, title="Accessibilité", position=90,
                          summary="Déclaration d'accessibilité et moyens de nous signaler un défaut.",
                          body=f"{name} s'engage à rendre ce site accessible. " * 8))
        pages.append(dict(slug="mentions-legales", locale=locale, title="Mentions légales", position=91,
                          summary="Éditeur du site, hébergement et données personnelles.",
                          body=f"Ce site est édité par {name}. " * 8))
    return pages


def create(args):
    """Django tenants one at a time; with --civitas-api, interleaved with Civitas
    creates (pair i: one of each, the order alternating), so both see the same
    load from anything else on the machine."""
    django_in(args.dir)
    from content.models import Page
    from customers.models import Client, Domain
    from django_tenants.utils import schema_context

    sys.path.insert(0, HERE)
    import civitas_driver

    def django_one(i):
        slug = f"bench{i:04d}"
        t0 = time.monotonic()
        client = Client(schema_name=f"t_{slug}", name=f"Benchmark tenant {i}")
        client.save(verbosity=0)
        Domain(domain=f"{slug}.test", tenant=client, is_primary=True).save()
        with schema_context(client.schema_name):
            Page.objects.bulk_create([Page(**p) for p in default_pages(client.name)])
        return time.monotonic() - t0

    times, civitas = [], []
    started = time.monotonic()
    for i in range(args.count):
        if args.civitas_api and i % 2 == 0:
            civitas.append(civitas_driver.create_one(args.civitas_api, args.civitas_token, i))
        times.append(django_one(i))
        if args.civitas_api and i % 2 == 1:
            civitas.append(civitas_driver.create_one(args.civitas_api, args.civitas_token, i))
        if (i + 1) % 100 == 0:
            line = f"  {i + 1} tenants, median so far: django-tenants {statistics.median(times) * 1000:.0f} ms"
            if civitas:
                line += f", Civitas {statistics.median(c[0] for c in civitas) * 1000:.0f} ms"
            print(line, flush=True)
    wall = time.monotonic() - started
    result = {
        "tenants": args.count,
        "wall_s": round(wall, 1),
        "sum_s": round(sum(times), 1),
        "create": summary(times),
        "first_100_median_ms": round(statistics.median(times[:100]) * 1000, 1),
        "last_100_median_ms": round(statistics.median(times[-100:]) * 1000, 1),
    }
    json.dump(result, open(args.out, "w"), indent=2)
    print(json.dumps(result, indent=2))
    if civitas:
        both = civitas_driver.create_result(civitas, wall)
        json.dump(both, open(args.civitas_out, "w"), indent=2)
        print(json.dumps(both, indent=2))


def upgrade(args):
    d = args.dir
    write(os.path.join(d, "content", "models.py"), models_py(probe=True))
    manage(d, "makemigrations", "content", "--name", "upgrade_probe", "-v", "0")
    t0 = time.monotonic()
    manage(d, "migrate_schemas", "--tenant", "-v", "0")
    elapsed = time.monotonic() - t0
    result = {"migrate_schemas_s": round(elapsed, 2)}
    json.dump(result, open(args.out, "w"), indent=2)
    print(json.dumps(result, indent=2))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("setup")
    s.add_argument("--host", required=True)
    s.add_argument("--db", required=True)
    c = sub.add_parser("create")
    c.add_argument("--count", type=int, required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--civitas-api")
    c.add_argument("--civitas-token")
    c.add_argument("--civitas-out")
    u = sub.add_parser("upgrade")
    u.add_argument("--out", required=True)
    for p in (s, c, u):
        p.add_argument("--dir", required=True)
    args = parser.parse_args()
    {"setup": setup, "create": create, "upgrade": upgrade}[args.command](args)


if __name__ == "__main__":
    main()
