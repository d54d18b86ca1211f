//! A request for time off (aggregate type `time_off`, id = request id): requested by an
//! employee, decided by a manager of the store. Approving it flags the employee's
//! published shifts inside the period, so the manager can re-plan them.

use breakroom_base::{Error, Result};
use breakroom_events::aggregate::Aggregate;
use breakroom_proto::scheduling::v1::{self as pb, time_off_event::Event as Ev};
use jiff::civil::Date;

/// Longest period one request covers, in days.
pub const MAX_DAYS: i64 = 92;

/// Where a request stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TimeOffStatus {
    /// Not requested.
    #[default]
    None,
    /// Waiting for a manager.
    Pending,
    /// Approved.
    Approved,
    /// Rejected.
    Rejected,
}

/// State of a request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimeOff {
    /// Where it stands.
    pub status: TimeOffStatus,
    /// The request as made.
    pub request: pb::TimeOffRequested,
    /// Published shifts inside the period when it was approved.
    pub conflicting_shift_ids: Vec<String>,
}

/// What can be asked of a request.
#[derive(Debug, Clone)]
pub enum TimeOffCommand {
    /// Request time off.
    Request(pb::TimeOffRequested),
    /// Approve (with the colliding shifts found) or reject.
    Decide {
        /// Approve or reject.
        approve: bool,
        /// Published shifts of the employee inside the period.
        conflicting_shift_ids: Vec<String>,
    },
}

/// Checks a period: dates `YYYY-MM-DD`, end not before start, at most 92 days.
pub fn period(start: &str, end: &str) -> Result<(Date, Date)> {
    let parse = |field: &str, value: &str| {
        value
            .parse::<Date>()
            .map_err(|_| Error::invalid(field, "must be a date like 2026-12-24"))
    };
    let (start, end) = (
        parse("time_off_request.start_date", start)?,
        parse("time_off_request.end_date", end)?,
    );
    if end < start {
        return Err(Error::invalid(
            "time_off_request.end_date",
            "must not be before the start date",
        ));
    }
    if (end - start).get_days() as i64 >= MAX_DAYS {
        return Err(Error::invalid(
            "time_off_request.end_date",
            "a request covers at most 92 days",
        ));
    }
    Ok((start, end))
}

impl Aggregate for TimeOff {
    const TYPE: &'static str = "time_off";
    type Command = TimeOffCommand;
    type Event = pb::TimeOffEvent;

    fn decide(&self, command: &TimeOffCommand) -> Result<Vec<pb::TimeOffEvent>> {
        let event = match command {
            TimeOffCommand::Request(request) => {
                if self.status != TimeOffStatus::None {
                    return Err(Error::exists("TIME_OFF_EXISTS", "time-off request"));
                }
                Ev::Requested(request.clone())
            }
            TimeOffCommand::Decide {
                approve,
                conflicting_shift_ids,
            } => {
                match self.status {
                    TimeOffStatus::None => return Err(Error::NotFound("time-off request".into())),
                    TimeOffStatus::Pending => {}
                    _ => {
                        return Err(Error::precondition(
                            "TIME_OFF_DECIDED",
                            "time-off request",
                            "the request was already decided",
                        ));
                    }
                }
                Ev::Decided(pb::TimeOffDecided {
                    approved: *approve,
                    conflicting_shift_ids: if *approve {
                        conflicting_shift_ids.clone()
                    } else {
                        vec![]
                    },
                })
            }
        };
        Ok(vec![pb::TimeOffEvent { event: Some(event) }])
    }

    fn apply(mut self, event: &pb::TimeOffEvent) -> Self {
        match &event.event {
            Some(Ev::Requested(e)) => {
                self.status = TimeOffStatus::Pending;
                self.request = e.clone();
            }
            Some(Ev::Decided(e)) => {
                self.status = if e.approved {
                    TimeOffStatus::Approved
                } else {
                    TimeOffStatus::Rejected
                };
                self.conflicting_shift_ids = e.conflicting_shift_ids.clone();
            }
            None => {}
        }
        self
    }
}

#[cfg(test)]
mod tests;
