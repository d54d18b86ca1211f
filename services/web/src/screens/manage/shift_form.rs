//! The shift form of a store's week: its values as posted, the shift they describe
//! (store-local civil times; an end at or before the start is the next day), a refusal
//! mapped onto the fields it names, and the view the template fills in.

use breakroom_proto::scheduling::v1 as pb;
use jiff::{ToSpan, civil};
use serde::Deserialize;

use crate::{
    context::Ctx, error::WebError, fmt, screens::manage::StoreChoice, screens::week::label,
};

/// The shift form's values.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ShiftForm {
    #[serde(default)]
    pub(super) employee: String,
    #[serde(default)]
    pub(super) day: String,
    #[serde(default)]
    pub(super) start: String,
    #[serde(default)]
    pub(super) end: String,
    #[serde(default)]
    pub(super) position: String,
    #[serde(default)]
    pub(super) department: String,
    #[serde(default)]
    pub(super) unpaid_break: String,
    #[serde(default)]
    pub(super) note: String,
    #[serde(default)]
    pub(super) week: String,
}

/// A refused shift form: what to show next to which field.
#[derive(Debug, Clone, Default)]
pub struct ShiftErrors {
    /// The whole form.
    pub general: Option<&'static str>,
    /// Day or times.
    pub times: Option<&'static str>,
    /// The employee.
    pub employee: Option<&'static str>,
    /// The break.
    pub unpaid_break: Option<&'static str>,
    /// Position or note.
    pub text: Option<&'static str>,
}

/// The form as the template fills it in.
#[derive(Debug, Clone)]
pub struct ShiftFormView {
    /// `POST` target.
    pub action: String,
    /// The values.
    pub form: ShiftFormValues,
    /// People to choose from: `(name, label, selected)`.
    pub people: Vec<(String, String, bool)>,
    /// Departments: `(id, label, selected)`.
    pub departments: Vec<(String, String, bool)>,
    /// The week's days: `(YYYY-MM-DD, label, selected)`.
    pub days: Vec<(String, String, bool)>,
    /// Refusals.
    pub errors: ShiftErrors,
}

/// Plain values for the template.
#[derive(Debug, Clone, Default)]
pub struct ShiftFormValues {
    /// `HH:MM`.
    pub start: String,
    /// `HH:MM`.
    pub end: String,
    /// Position.
    pub position: String,
    /// Minutes.
    pub unpaid_break: String,
    /// Note.
    pub note: String,
    /// The ISO week it returns to.
    pub week: String,
}

/// The form of `values` for `store`'s week starting `monday`.
#[allow(clippy::too_many_arguments)]
pub(super) fn form_view(
    ctx: &Ctx,
    store: &StoreChoice,
    monday: civil::Date,
    action: String,
    form: &ShiftForm,
    people: &[(String, String)],
    errors: ShiftErrors,
) -> ShiftFormView {
    let days = (0..7)
        .map(|i| {
            let day = monday.saturating_add(i.days());
            let value = day.to_string();
            let selected = form.day == value;
            (value, fmt::date(&ctx.t, day), selected)
        })
        .collect();
    ShiftFormView {
        action,
        people: people
            .iter()
            .map(|(name, label)| (name.clone(), label.clone(), *name == form.employee))
            .collect(),
        departments: store
            .departments
            .iter()
            .map(|(id, label)| (id.clone(), label.clone(), *id == form.department))
            .collect(),
        days,
        form: ShiftFormValues {
            start: form.start.clone(),
            end: form.end.clone(),
            position: form.position.clone(),
            unpaid_break: form.unpaid_break.clone(),
            note: form.note.clone(),
            week: label(monday),
        },
        errors,
    }
}

pub(super) fn errors_of(error: &WebError) -> ShiftErrors {
    let field = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| error.field(n).map(|_| "error-shift-field"))
    };
    let mut errors = ShiftErrors {
        times: field(&[
            "shift.start_local",
            "shift.end_local",
            "day",
            "start",
            "end",
        ]),
        employee: field(&["shift.employee"]),
        unpaid_break: field(&["shift.unpaid_break_minutes", "unpaid_break"]),
        text: field(&["shift.position", "shift.note", "shift.department_id"]),
        general: None,
    };
    errors.general = match error {
        WebError::Refused => Some("error-shift-refused"),
        WebError::Invalid(_)
            if errors.times.is_none()
                && errors.employee.is_none()
                && errors.unpaid_break.is_none()
                && errors.text.is_none() =>
        {
            Some("error-invalid")
        }
        WebError::Invalid(_) => None,
        WebError::Forbidden => Some("error-forbidden"),
        _ => Some("error-refused"),
    };
    errors
}

/// The shift a form describes, or the field it gets wrong.
pub(super) fn shift_of(form: &ShiftForm) -> Result<pb::Shift, WebError> {
    let invalid = |field: &str| WebError::Invalid(vec![(field.to_owned(), "error-shift-field")]);
    let day: civil::Date = form.day.trim().parse().map_err(|_| invalid("day"))?;
    let start: civil::Time = form.start.trim().parse().map_err(|_| invalid("start"))?;
    let end: civil::Time = form.end.trim().parse().map_err(|_| invalid("end"))?;
    let end_day = if end <= start {
        day.tomorrow().map_err(|_| invalid("day"))?
    } else {
        day
    };
    let unpaid_break = match form.unpaid_break.trim() {
        "" => 0,
        minutes => minutes.parse().map_err(|_| invalid("unpaid_break"))?,
    };
    Ok(pb::Shift {
        employee: form.employee.trim().to_owned(),
        start_local: day
            .to_datetime(start)
            .strftime("%Y-%m-%dT%H:%M")
            .to_string(),
        end_local: end_day
            .to_datetime(end)
            .strftime("%Y-%m-%dT%H:%M")
            .to_string(),
        department_id: form.department.trim().to_owned(),
        position: form.position.trim().to_owned(),
        unpaid_break_minutes: unpaid_break,
        note: form.note.trim().to_owned(),
        ..Default::default()
    })
}

pub(super) fn form_of(shift: &pb::Shift, week: &str) -> ShiftForm {
    let split = |local: &str| {
        local
            .split_once('T')
            .map(|(d, t)| (d.to_owned(), t.to_owned()))
            .unwrap_or_default()
    };
    let (day, start) = split(&shift.start_local);
    let (_, end) = split(&shift.end_local);
    ShiftForm {
        employee: shift.employee.clone(),
        day,
        start,
        end,
        position: shift.position.clone(),
        department: shift.department_id.clone(),
        unpaid_break: shift.unpaid_break_minutes.to_string(),
        note: shift.note.clone(),
        week: week.to_owned(),
    }
}
