"""Sign-in, sign-out and password change."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.security import check_password_hash

from vocapp import ratelimit
from vocapp.auth import bp
from vocapp.auth.forms import ChangePasswordForm, LoginForm, LogoutForm
from vocapp.db import db
from vocapp.extensions import login_manager
from vocapp.forms import save
from vocapp.models import User
from vocapp.security import is_safe_redirect
from vocapp.services import users

_OUTCOME_MESSAGES = {
    "invalid": "The email or password is not right.",
    "locked": "This account is locked after too many failed sign-ins. Try again later or ask a CX office admin to unlock it.",
    "disabled": "This account is disabled. Ask a CX office admin if you need access.",
}


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Load the user of a session, refusing stale sessions and disabled accounts."""
    user_id, _, nonce = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_nonce != nonce:
        return None
    return user


@bp.route("/login", methods=["GET", "POST"])
@ratelimit.limit("LOGIN_RATE_LIMIT")
def login():
    """Show and check the sign-in form."""
    next_url = request.args.get("next")
    if current_user.is_authenticated:
        return redirect(next_url if is_safe_redirect(next_url) else url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        result = users.authenticate(form.email.data, form.password.data)
        db.session.commit()  # failed-attempt counters must stick even when sign-in fails
        if result.ok:
            session.clear()  # a fresh session on sign-in (no fixation)
            login_user(result.user)
            session.permanent = True
            return redirect(next_url if is_safe_redirect(next_url) else url_for("main.index"))
        flash(_OUTCOME_MESSAGES[result.outcome], "danger")
        status = 403 if result.outcome == "disabled" else 401
        return render_template("auth/login.html", form=form), status
    status = 400 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    """Sign out (POST with a CSRF token)."""
    form = LogoutForm()
    if form.validate_on_submit():
        logout_user()
        session.clear()
        flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Let the signed-in user change their password."""
    form = ChangePasswordForm()
    if form.is_submitted() and not check_password_hash(current_user.password_hash, form.current.data or ""):
        form.validate()
        form.current.errors.append("This is not your current password.")
    elif save(form, lambda: users.set_password(current_user, current_user, form.new.data)):
        login_user(current_user)  # the nonce changed; keep this session, end the others
        flash("Your password is changed. Other sessions were signed out.", "success")
        return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form), 400 if form.errors else 200
