//! # dispatch-reporting
//!
//! Month-end paperwork. It will own:
//!
//! - the monthly revenue workbook (`rust_xlsxwriter`): a `Template` tab and a month tab such as
//!   `May 2024`, column order taken from the prior month's workbook (read with `calamine`);
//! - the per-member crew statement workbooks and the tip split (equal shares, cents handed out so the
//!   shares add up exactly).
//!
//! Today it holds only this map; the reporting issue fills it in.
