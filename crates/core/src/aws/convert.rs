//! Items between our attribute map ([`crate::item::Item`], `serde_dynamo`'s) and the DynamoDB
//! SDK's, and the two attribute values every expression needs: the adapter's only conversion.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::item::Item;

/// Our item → the DynamoDB SDK's.
pub(crate) fn to_sdk(item: Item) -> HashMap<String, AttributeValue> {
    item.into_iter().map(|(k, v)| (k, v.into())).collect()
}

/// The DynamoDB SDK's item → ours.
pub(crate) fn from_sdk(item: HashMap<String, AttributeValue>) -> Item {
    item.into_iter().map(|(k, v)| (k, v.into())).collect()
}

/// A string attribute value.
pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// A number attribute value.
pub(crate) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}
