//! A reference to any participation resource (a space, a proposal, a comment, a
//! person...), for the parts that work across modules: comments, reports and
//! moderation, follows and notifications. Stored as `(resource_kind, resource_id)`.
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, CoreResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    Space,
    Proposal,
    Comment,
    User,
    BlogPost,
    Petition,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 6] = [
        ResourceKind::Space,
        ResourceKind::Proposal,
        ResourceKind::Comment,
        ResourceKind::User,
        ResourceKind::BlogPost,
        ResourceKind::Petition,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Space => "space",
            ResourceKind::Proposal => "proposal",
            ResourceKind::Comment => "comment",
            ResourceKind::User => "user",
            ResourceKind::BlogPost => "blog_post",
            ResourceKind::Petition => "petition",
        }
    }

    pub fn parse(s: &str) -> CoreResult<ResourceKind> {
        ResourceKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| CoreError::Invalid(format!("unknown kind of resource {s:?}")))
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One resource of a tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ResourceRef {
    pub kind: ResourceKind,
    pub id: i64,
}

impl ResourceRef {
    pub fn new(kind: ResourceKind, id: i64) -> Self {
        ResourceRef { kind, id }
    }
}

impl fmt::Display for ResourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.id)
    }
}
