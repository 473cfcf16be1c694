//! Least privilege, shown both ways: each statement of each role, taken from the template,
//! removed in turn from the deployed role must make a story fail.
