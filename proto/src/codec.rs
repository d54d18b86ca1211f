//! The protobuf codec of every Breakroom service and client: prost's, except that a
//! message that does not decode (truncated bytes, a wrong wire type, a string that is not
//! UTF-8) is the caller's mistake, so it answers INVALID_ARGUMENT instead of prost's
//! INTERNAL, which would page an on-call for a client's bug.

use std::marker::PhantomData;

use prost::Message;
use tonic::{
    Code, Status,
    codec::{BufferSettings, Codec as TonicCodec, DecodeBuf, Decoder as TonicDecoder},
};
use tonic_prost::{ProstCodec, ProstDecoder, ProstEncoder};

/// Prost's encoding; decoding errors as INVALID_ARGUMENT.
#[derive(Debug, Clone)]
pub struct Codec<T, U> {
    inner: ProstCodec<T, U>,
}

impl<T, U> Default for Codec<T, U> {
    fn default() -> Self {
        Self {
            inner: ProstCodec::default(),
        }
    }
}

impl<T, U> TonicCodec for Codec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = Decoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        self.inner.encoder()
    }

    fn decoder(&mut self) -> Self::Decoder {
        Decoder {
            inner: self.inner.decoder(),
            _message: PhantomData,
        }
    }
}

/// Prost's decoder with the caller's mistakes reported as such.
#[derive(Debug)]
pub struct Decoder<U> {
    inner: ProstDecoder<U>,
    _message: PhantomData<U>,
}

impl<U: Message + Default> TonicDecoder for Decoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        self.inner.decode(buf).map_err(|status| {
            if status.code() != Code::Internal {
                return status;
            }
            let message = format!(
                "the message is not a valid {}: {}",
                short_type_name::<U>(),
                status.message()
            );
            let mut details = tonic_types::ErrorDetails::new();
            details.set_error_info(
                "MALFORMED_MESSAGE",
                "breakroom.app",
                std::collections::HashMap::<String, String>::new(),
            );
            details.add_bad_request_violation("", message.clone());
            use tonic_types::StatusExt;
            Status::with_error_details(Code::InvalidArgument, message, details)
        })
    }

    fn buffer_settings(&self) -> BufferSettings {
        self.inner.buffer_settings()
    }
}

/// `UpsertShiftRequest` for `breakroom_proto::scheduling::v1::UpsertShiftRequest`.
fn short_type_name<U>() -> &'static str {
    let full = std::any::type_name::<U>();
    full.rsplit("::").next().unwrap_or(full)
}
