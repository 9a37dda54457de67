"""Flask extensions, created unbound and attached in create_app()."""

from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

__all__ = ["bootstrap", "csrf", "login_manager"]

bootstrap = Bootstrap5()
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"
# "basic" marks a session non-fresh when IP or browser change; "strong" would sign staff
# out whenever their laptop changes network.
login_manager.session_protection = "basic"
