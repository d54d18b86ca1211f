//! Hostile input, as a fuzzer sends it: bodies that do not decode, huge fields, calls
//! without credentials. Each gets a precise answer about the caller's mistake.

use breakroom_proto::scheduling::v1 as pb;
use tonic::Code;

use crate::support::*;

/// A message whose field 1 is a number where UpsertShiftRequest has a message, and whose
/// field 2 holds bytes that are not UTF-8 where it has a string.
#[derive(Clone, PartialEq, prost::Message)]
struct Garbage {
    #[prost(uint64, tag = "1")]
    shift: u64,
    #[prost(bytes = "vec", tag = "2")]
    parent: Vec<u8>,
}

async fn send_garbage(p: &Platform, garbage: Garbage) -> tonic::Status {
    let channel = breakroom_testing::channel(p.scheduling_addr).await;
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let path = http::uri::PathAndQuery::from_static(
        "/breakroom.scheduling.v1.SchedulingService/UpsertShift",
    );
    grpc.unary(
        tonic::Request::new(garbage),
        path,
        tonic_prost::ProstCodec::<Garbage, pb::Shift>::default(),
    )
    .await
    .unwrap_err()
}

#[tokio::test]
async fn a_body_that_does_not_decode_is_invalid_argument_not_internal() {
    let p = Platform::spawn().await;
    let wrong_type = send_garbage(
        &p,
        Garbage {
            shift: 7,
            parent: vec![],
        },
    )
    .await;
    assert_eq!(wrong_type.code(), Code::InvalidArgument, "{wrong_type:?}");
    assert_eq!(breakroom_testing::reason(&wrong_type), "MALFORMED_MESSAGE");
    let not_utf8 = send_garbage(
        &p,
        Garbage {
            shift: 0,
            parent: vec![0xff, 0xfe, 0xfd],
        },
    )
    .await;
    assert_eq!(not_utf8.code(), Code::InvalidArgument, "{not_utf8:?}");
}

#[tokio::test]
async fn who_asks_comes_before_what_they_sent_and_errors_repeat_little_of_it() {
    let p = Platform::spawn().await;
    let chain = p.chain("poiesz").await;
    // No credentials and a malformed name: the stranger learns nothing about names.
    let stranger = p
        .scheduling
        .clone()
        .get_roster(tonic::Request::new(pb::GetRosterRequest {
            name: "not a name".into(),
        }))
        .await
        .unwrap_err();
    assert_eq!(stranger.code(), Code::Unauthenticated);
    // A megabyte in a field is refused, and the answer does not carry it back.
    let huge = "x".repeat(1 << 20);
    let status = p
        .scheduling
        .clone()
        .upsert_shift(bearer(
            &chain.admin.token,
            pb::UpsertShiftRequest {
                shift: Some(pb::Shift {
                    note: huge.clone(),
                    ..shift(&chain.admin.name, "2027-04-01T09:00", "2027-04-01T12:00")
                }),
                parent: huge,
                request_id: uuid(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().len() < 2_000, "{}", status.message().len());
    assert!(status.details().len() < 8_000, "{}", status.details().len());
}
