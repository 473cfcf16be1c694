//! The ops board's own pages besides the board (`crate::ops_board`): the sign-in page of a
//! link, a charter's actions, the cancel confirmation, the roster by day and the page that says
//! what an action did. Each is an askama template (auto-escaped) on the shared shell; the
//! handlers in `web/ops.rs` and `web/ops_actions.rs` fill them.

use askama::Template;
use askama_web::WebTemplate;

/// Seconds between refreshes of the board and the roster view: a `Refresh` header (not a meta
/// refresh: the pages offer a link that turns it off, as WCAG 2.2.1 asks, and axe-core's
/// `meta-refresh` rule refuses any timed meta refresh). Pages with a form to fill (a charter's
/// actions, the cancel confirmation) never refresh.
pub const REFRESH_SECONDS: u32 = 60;

/// A person named on a page, with a `tel:` link when the roster has a phone number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub name: String,
    /// `tel:+15550100` (digits and a leading `+` only), if there is a number.
    pub tel: Option<String>,
    /// The number as the roster writes it.
    pub phone: String,
}

impl Named {
    /// `name` with `phone` (from the roster), if any.
    pub fn new(name: &str, phone: Option<&str>) -> Self {
        let phone = phone.unwrap_or("").trim();
        let digits: String = phone
            .chars()
            .enumerate()
            .filter(|(i, c)| c.is_ascii_digit() || (*i == 0 && *c == '+'))
            .map(|(_, c)| c)
            .collect();
        Self {
            name: name.to_string(),
            tel: (digits.chars().filter(char::is_ascii_digit).count() >= 3)
                .then(|| format!("tel:{digits}")),
            phone: phone.to_string(),
        }
    }
}

/// `GET /ops/{link}`: who the link signs in, and the button that does.
#[derive(Template, WebTemplate)]
#[template(path = "ops_sign_in.html")]
pub struct SignInPage {
    pub title: &'static str,
    pub address: String,
    pub action: String,
    pub guard: String,
}

/// A member in the Assign list.
pub struct Pick {
    pub crew_id: String,
    pub who: Named,
    pub why_not: Option<String>,
    pub overridable: bool,
}

/// One Assign form (captain or crew).
pub struct AssignForm {
    /// `captain` or `crew`.
    pub role: &'static str,
    pub label: String,
    pub options: Vec<Pick>,
}

/// A person on the charter, with the Unassign button's value.
pub struct OnBoard {
    pub crew_id: String,
    pub role: String,
    pub who: Named,
}

/// `GET /ops/charters/{id}`: one charter and what ops can do to it.
#[derive(Template, WebTemplate)]
#[template(path = "ops_charter.html")]
pub struct CharterPage {
    pub title: String,
    pub signed_in: String,
    pub board: String,
    pub summary: String,
    pub status: String,
    pub why: Vec<String>,
    pub on_board: Vec<OnBoard>,
    pub waiting: Vec<(Named, String, String)>,
    pub assign: Vec<AssignForm>,
    /// Members who can be cleared to be asked again (declined or let an offer lapse).
    pub reoffer: Vec<(String, String)>,
    pub open: bool,
    pub base: String,
    pub csrf: String,
}

/// `GET /ops/charters/{id}/cancel`: the confirmation step.
#[derive(Template, WebTemplate)]
#[template(path = "ops_confirm.html")]
pub struct ConfirmPage {
    pub title: &'static str,
    pub summary: String,
    pub action: String,
    pub back: String,
    pub csrf: String,
}

/// What an action did, or why it was refused.
#[derive(Template, WebTemplate)]
#[template(path = "ops_done.html")]
pub struct DonePage {
    pub title: &'static str,
    pub lines: Vec<String>,
    pub refused: bool,
    pub back: String,
    pub board: String,
}

/// One day of the roster view.
pub struct Day {
    pub date: String,
    pub free: Vec<Named>,
    /// Who holds the day, on which vessel.
    pub booked: Vec<(Named, String)>,
}

/// `GET /ops/roster`: who is free and who is booked on each day of the board.
#[derive(Template, WebTemplate)]
#[template(path = "ops_roster.html")]
pub struct RosterPage {
    pub title: &'static str,
    pub refresh: u32,
    pub board: String,
    pub days: Vec<Day>,
}

#[cfg(test)]
mod tests {
    use super::Named;

    #[test]
    fn phone_numbers_become_tel_links_of_digits_only() {
        let n = Named::new("Ana", Some("+1 (555) 010-0100"));
        assert_eq!(n.tel.as_deref(), Some("tel:+15550100100"));
        assert_eq!(Named::new("Ben", None).tel, None);
        assert_eq!(Named::new("Ben", Some("n/a")).tel, None);
        assert_eq!(
            Named::new("Eve", Some("555\"><script>")).tel.as_deref(),
            Some("tel:555")
        );
    }
}
