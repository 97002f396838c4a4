//! What cleaning removed from the image, in the user's language.

use image_privacy::Findings;
use leptos::prelude::*;
use leptos_i18n::Locale as _;

use crate::browser;
use crate::i18n::{t, t_string, use_i18n};

/// What was removed from the image (or, with `file`, from a file among the files), in the
/// user's language; tracked changes in a document are said to remain.
#[component]
pub(super) fn RemovedSummary(findings: Findings, #[prop(optional)] file: bool) -> impl IntoView {
    let i18n = use_i18n();
    if findings.is_empty() {
        return view! { <p class="removed" data-testid="removed">{t!(i18n, removed_nothing)}</p> }
            .into_any();
    }
    let lang = move || i18n.get_locale().as_str();
    let mut items: Vec<AnyView> = Vec::new();
    match findings.location {
        Some(at) => {
            let place = move || {
                let (ns, ew) = (
                    if at.latitude >= 0.0 {
                        t_string!(i18n, dir_north)
                    } else {
                        t_string!(i18n, dir_south)
                    },
                    if at.longitude >= 0.0 {
                        t_string!(i18n, dir_east)
                    } else {
                        t_string!(i18n, dir_west)
                    },
                );
                format!(
                    "{:.2}° {ns}, {:.2}° {ew}",
                    at.latitude.abs(),
                    at.longitude.abs()
                )
            };
            items.push(t!(i18n, removed_location, place).into_any());
        }
        None if findings.has_location => items.push(t!(i18n, removed_location_plain).into_any()),
        None => {}
    }
    if let Some(camera) = findings.camera.clone() {
        items.push(t!(i18n, removed_camera, camera = move || camera.clone()).into_any());
    }
    if findings.serial_number {
        items.push(t!(i18n, removed_serial).into_any());
    }
    match findings.date_taken {
        Some(d) => {
            let date = move || browser::format_date(d.year, d.month, d.day, lang());
            items.push(t!(i18n, removed_date, date).into_any());
        }
        None if findings.has_dates => items.push(t!(i18n, removed_dates).into_any()),
        None => {}
    }
    if let Some(software) = findings.software.clone() {
        items.push(t!(i18n, removed_software, software = move || software.clone()).into_any());
    }
    if let Some(author) = findings.author.clone() {
        items.push(t!(i18n, removed_author_named, author = move || author.clone()).into_any());
    }
    if let Some(company) = findings.company.clone() {
        items.push(t!(i18n, removed_company, company = move || company.clone()).into_any());
    }
    if findings.comments {
        items.push(t!(i18n, removed_comments).into_any());
    }
    if findings.images > 0 {
        items.push(t!(i18n, removed_images).into_any());
    }
    if findings.revisions > 0 {
        let count = findings.revisions;
        items.push(t!(i18n, removed_revisions, count = move || count).into_any());
    }
    if findings.attachments {
        items.push(t!(i18n, removed_attachments).into_any());
    }
    if findings.scripts {
        items.push(t!(i18n, removed_scripts).into_any());
    }
    if findings.text {
        items.push(t!(i18n, removed_text).into_any());
    }
    if findings.thumbnail {
        items.push(t!(i18n, removed_thumbnail).into_any());
    }
    if findings.other {
        items.push(t!(i18n, removed_other).into_any());
    }
    let tracked = findings.tracked_changes;
    view! {
        <div class="removed" data-testid="removed">
            <p>{if file { t!(i18n, removed_heading_file).into_any() } else { t!(i18n, removed_heading).into_any() }}</p>
            <ul>{items.into_iter().map(|item| view! { <li>{item}</li> }).collect_view()}</ul>
            {tracked.then(|| view! {
                <p class="alert" data-testid="tracked-changes">{t!(i18n, removed_tracked_changes)}</p>
            })}
        </div>
    }
    .into_any()
}
