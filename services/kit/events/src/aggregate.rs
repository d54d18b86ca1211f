//! The aggregate contract (`decide` pure, `apply` infallible) and given/when/then helpers
//! for domain tests.
//!
//! An aggregate is a plain value rebuilt by folding its events with `apply`. A command is
//! decided against the current state and yields new events or an error; it reads no clock
//! and makes no ids: the handler puts "now" and new ids into the command.

use breakroom_base::error::Error;

/// An event-sourced aggregate.
pub trait Aggregate: Default + Clone + Send + Sync + 'static {
    /// Aggregate type: the subject token (`user`, `roster`).
    const TYPE: &'static str;
    /// What can be asked of it.
    type Command: Send + Sync;
    /// Its events: the protobuf message (usually a `oneof`) stored per event.
    type Event: prost::Message + prost::Name + Default + Clone + PartialEq + Send + Sync + 'static;

    /// The event's type name (`breakroom.identity.v1.UserInvited`), for logs and tests: the
    /// message its oneof holds, read from the descriptors. The envelope does not store it
    /// (the payload's oneof case says it).
    fn event_type(event: &Self::Event) -> String {
        breakroom_base::descriptors::event_type(event)
    }

    /// Decides what happens: the events to record, or why not. Pure.
    fn decide(&self, command: &Self::Command) -> Result<Vec<Self::Event>, Error>;

    /// Folds one event into the state. Never fails: recorded events are facts.
    fn apply(self, event: &Self::Event) -> Self;

    /// Folds many events.
    fn replay<'a>(self, events: impl IntoIterator<Item = &'a Self::Event>) -> Self {
        events.into_iter().fold(self, Self::apply)
    }
}

/// Starts a domain test from the events that already happened.
pub fn given<A: Aggregate>(history: impl IntoIterator<Item = A::Event>) -> Given<A> {
    let history: Vec<_> = history.into_iter().collect();
    Given {
        state: A::default().replay(&history),
    }
}

/// A state built from history, waiting for a command.
#[derive(Debug)]
pub struct Given<A> {
    state: A,
}

impl<A: Aggregate> Given<A> {
    /// Decides a command against the state.
    pub fn when(self, command: A::Command) -> Then<A> {
        let result = self.state.decide(&command);
        Then {
            state: self.state,
            result,
        }
    }
}

/// The outcome of a command, to assert on.
#[derive(Debug)]
pub struct Then<A: Aggregate> {
    state: A,
    result: Result<Vec<A::Event>, Error>,
}

impl<A: Aggregate + std::fmt::Debug> Then<A>
where
    A::Event: std::fmt::Debug,
{
    /// Asserts the command produced exactly `expected`; returns the state after them.
    #[track_caller]
    pub fn then(self, expected: impl IntoIterator<Item = A::Event>) -> A {
        let expected: Vec<_> = expected.into_iter().collect();
        match self.result {
            Ok(events) => {
                assert_eq!(events, expected, "unexpected events");
                self.state.replay(&events)
            }
            Err(error) => panic!("expected events {expected:?}, got error {error:?}"),
        }
    }

    /// Returns the produced events (for assertions on parts of them); panics on an error.
    #[track_caller]
    pub fn then_events(self) -> Vec<A::Event> {
        match self.result {
            Ok(events) => events,
            Err(error) => panic!("expected events, got error {error:?}"),
        }
    }

    /// Asserts the command failed and returns the error for further checks.
    #[track_caller]
    pub fn then_error(self) -> Error {
        match self.result {
            Ok(events) => panic!("expected an error, got events {events:?}"),
            Err(error) => error,
        }
    }
}
