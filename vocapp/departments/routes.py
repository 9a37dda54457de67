"""Department list, detail and (for admins) create and edit."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from vocapp.access import get_scoped_or_404, roles_required
from vocapp.db import db
from vocapp.departments import bp
from vocapp.departments.forms import DepartmentForm
from vocapp.forms import save
from vocapp.models import Department, Role
from vocapp.services import departments as service


@bp.get("/")
@login_required
def index():
    """The departments the user may see."""
    return render_template("departments/index.html", departments=service.visible_departments(current_user))


@bp.get("/<int:dept_id>")
@login_required
def detail(dept_id: int):
    """One department and its people; 404 outside the user's scope."""
    dept = get_scoped_or_404(Department, dept_id, department_attr="id")
    return render_template("departments/detail.html", dept=dept)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def create():
    """Add a department."""
    form = DepartmentForm()
    del form.active  # new departments start active
    if saved := save(form, lambda: service.create_department(current_user, code=form.code.data,
                                                             name=form.name.data)):
        flash(f"Department {saved.value.name} created.", "success")
        return redirect(url_for(".detail", dept_id=saved.value.id))
    return render_template("departments/form.html", form=form, dept=None), 400 if form.errors else 200


@bp.route("/<int:dept_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit(dept_id: int):
    """Change a department."""
    dept = db.session.get(Department, dept_id) or abort(404)
    form = DepartmentForm(obj=dept)
    if save(form, lambda: service.update_department(current_user, dept, code=form.code.data,
                                                    name=form.name.data, active=form.active.data)):
        flash(f"Department {dept.name} saved.", "success")
        return redirect(url_for(".detail", dept_id=dept.id))
    return render_template("departments/form.html", form=form, dept=dept), 400 if form.errors else 200
