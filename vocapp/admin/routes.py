"""Staff account administration (CX office admins only)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from wtforms.fields.choices import SelectChoice

from vocapp.access import roles_required
from vocapp.admin import bp
from vocapp.admin.forms import NewUserForm, SetPasswordForm, UserForm
from vocapp.db import db, utcnow
from vocapp.forms import ActionForm, save
from vocapp.models import Department, Role, User
from vocapp.services import users as service

PAGE_SIZE = 50


def _with_departments(form: UserForm) -> UserForm:
    form.departments.choices = [
        SelectChoice(d.id, f"{d.name} ({d.code})" + ("" if d.active else " — inactive"))
        for d in db.session.scalars(select(Department).order_by(Department.name))
    ]
    return form


def _user_form(user: User) -> UserForm:
    return _with_departments(UserForm(
        name=user.name, email=user.email, role=user.role.value, active=user.active,
        departments=[d.id for d in user.departments],
    ))


def _chosen_departments(form: UserForm) -> list[Department]:
    ids = form.departments.data or []
    return list(db.session.scalars(select(Department).where(Department.id.in_(ids)))) if ids else []


@bp.get("/users")
@roles_required(Role.ADMIN)
def users():
    """All staff accounts, searchable and filterable by role."""
    q = request.args.get("q", "").strip()
    role = request.args.get("role", "")
    query = select(User).order_by(User.name)
    if q:
        query = query.where(or_(User.name.icontains(q, autoescape=True), User.email.icontains(q, autoescape=True)))
    if role in {r.value for r in Role}:
        query = query.where(User.role == Role(role))
    page = db.paginate(query, per_page=PAGE_SIZE, max_per_page=PAGE_SIZE, error_out=False)
    return render_template("admin/users.html", page=page, q=q, role=role, roles=list(Role), now=utcnow())


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_user():
    """Create a staff account."""
    form = _with_departments(NewUserForm())
    if saved := save(form, lambda: service.create_user(
        current_user, email=form.email.data, name=form.name.data, role=form.role.data,
        password=form.password.data, departments=_chosen_departments(form), active=form.active.data,
    )):
        flash(f"Account for {saved.value.email} created.", "success")
        return redirect(url_for(".edit_user", user_id=saved.value.id))
    return render_template("admin/user_form.html", form=form, user=None), 400 if form.errors else 200


def _user_page(user: User, form: UserForm, password_form: SetPasswordForm, status: int):
    return render_template("admin/user_form.html", form=form, user=user, password_form=password_form,
                           action_form=ActionForm(prefix="act"), now=utcnow()), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_user(user_id: int):
    """Change a staff account."""
    user = db.session.get(User, user_id) or abort(404)
    form = _user_form(user)
    if save(form, lambda: service.update_user(
        current_user, user, email=form.email.data, name=form.name.data, role=form.role.data,
        active=form.active.data, departments=_chosen_departments(form),
    )):
        flash(f"Account {user.email} saved.", "success")
        return redirect(url_for(".edit_user", user_id=user.id))
    return _user_page(user, form, SetPasswordForm(prefix="pw"), 400 if form.errors else 200)


@bp.post("/users/<int:user_id>/password")
@roles_required(Role.ADMIN)
def set_password(user_id: int):
    """Set someone's password (they are signed out everywhere)."""
    user = db.session.get(User, user_id) or abort(404)
    form = SetPasswordForm(prefix="pw")
    if save(form, lambda: service.set_password(current_user, user, form.password.data)):
        flash(f"New password set for {user.email}.", "success")
        return redirect(url_for(".edit_user", user_id=user.id))
    return _user_page(user, _user_form(user), form, 400)


@bp.post("/users/<int:user_id>/unlock")
@roles_required(Role.ADMIN)
def unlock(user_id: int):
    """Lift a sign-in lock-out."""
    user = db.session.get(User, user_id) or abort(404)
    if save(ActionForm(prefix="act"), lambda: service.unlock(current_user, user)):
        flash(f"{user.email} can sign in again.", "success")
    return redirect(url_for(".edit_user", user_id=user.id))
