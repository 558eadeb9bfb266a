//! Writing an [`Instance`] back to `.pb` text.

use super::records::push_record;
use super::Instance;

fn extra_value<'a>(extra: &'a [(String, String)], column: &str) -> &'a str {
    extra.iter().find(|(c, _)| c == column).map(|(_, v)| v.as_str()).unwrap_or("")
}

fn join<T: ToString>(items: &[T]) -> String {
    items.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
}

pub(super) fn to_pb(instance: &Instance) -> String {
    let mut out = String::new();
    out.push_str("META\n");
    push_record(&mut out, ["key", "value"]);
    for (key, value) in instance.meta.entries() {
        push_record(&mut out, [key.as_str(), value.as_str()]);
    }

    out.push_str("PROJECTS\n");
    push_record(&mut out, instance.project_columns.iter().map(String::as_str));
    for project in &instance.projects {
        let cost = project.cost.to_string();
        let fields = instance.project_columns.iter().map(|column| match column.as_str() {
            "project_id" => project.id.as_str(),
            "cost" => cost.as_str(),
            "name" => project.name.as_deref().unwrap_or(""),
            other => extra_value(&project.extra, other),
        });
        push_record(&mut out, fields);
    }

    out.push_str("VOTES\n");
    push_record(&mut out, instance.vote_columns.iter().map(String::as_str));
    for vote in &instance.votes {
        let chosen = vote.projects.join(",");
        let points = vote.points.as_deref().map(join).unwrap_or_default();
        let fields = instance.vote_columns.iter().map(|column| match column.as_str() {
            "voter_id" => vote.voter_id.as_str(),
            "vote" => chosen.as_str(),
            "points" => points.as_str(),
            other => extra_value(&vote.extra, other),
        });
        push_record(&mut out, fields);
    }
    out
}
