//! Domain types. Each is built by a `parse` that can fail; once built it is trusted. [`lookup`]
//! finds a member by id, e-mail or name (and a vessel by its closest spelling).

mod booking_ref;
mod charter;
mod crew;
mod date;
mod email;
mod ids;
mod job;
mod licence;
pub mod limits;
pub mod lookup;
mod money;
mod offer;
mod thread;

pub use booking_ref::{
    booking_ref_of, with_booking_ref, BookingRef, CharterRef, BOOKING_REF_NAMESPACE,
};
pub use charter::{attr as charter_attr, Charter, CharterKey, CharterStatus};
pub use crew::{
    attr as crew_attr, links_time, normalize_certification, unfit, CrewMember, SlotNeeds, Unfit,
};
pub use date::{CharterDate, Month};
pub use email::EmailAddress;
pub use ids::{CharterId, CrewId, ParseError};
pub use job::{EnvelopeError, JobEnvelope, JobKind, ENVELOPE_VERSION};
pub use licence::{expiry_words, licence_attr, CaptainLicence};
pub use lookup::{find_member, MemberLookupError};
pub use money::Money;
pub use offer::{Offer, OfferId, OfferStatus, Role};
pub use thread::{ThreadEntry, ThreadKind};
