"""vocapp: the Voice-of-the-Customer web application for city government."""

from __future__ import annotations

import os

from flask import Flask
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

__all__ = ["create_app"]


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: config, database, extensions, blueprints.

    Settings come from the defaults, then ``instance/config.py``, then
    ``VOCAPP_*`` environment variables, then `test_config` (each wins over
    the previous). Raises `vocapp.errors.ConfigError` when they are unusable.
    """
    app = Flask(
        __name__,
        instance_path=os.environ.get("VOCAPP_INSTANCE_PATH") or None,
        instance_relative_config=True,
    )
    from vocapp import cli, config, db, errorpages, i18n, ratelimit, security, templating
    from vocapp.extensions import bootstrap, csrf, login_manager

    config.load_config(app.config, app.instance_path, test_config)
    db.init_app(app)
    if app.config["PROXY_FIX_X_FOR"] or app.config["PROXY_FIX_X_PROTO"]:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=app.config["PROXY_FIX_X_PROTO"]
        )

    csrf.init_app(app)
    ratelimit.init_app(app)
    # Templates get current_user lazily: resident pages never load a user or touch the session.
    login_manager.init_app(app, add_context_processor=False)
    app.context_processor(lambda: {"current_user": current_user})
    bootstrap.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    i18n.init_app(app)
    errorpages.init_app(app)
    cli.init_app(app)

    from vocapp import admin, api, audit, auth, departments, design, main, respond, results

    app.register_blueprint(main.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(departments.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(respond.bp)
    app.register_blueprint(design.bp)
    app.register_blueprint(results.bp)
    app.register_blueprint(api.bp)
    from vocapp import campaigns, servicerequests

    app.register_blueprint(campaigns.bp)
    app.register_blueprint(servicerequests.bp)
    return app
