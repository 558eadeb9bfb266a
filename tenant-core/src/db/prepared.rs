//! Hand-written SQL that PostgreSQL keeps prepared on each connection.
//!
//! `diesel::sql_query` is never cached: every call is parsed, analysed and planned
//! again, which on the busiest pages cost more than running the statements (see
//! BENCHMARKS.md, "Participation core"). [`prepared`] takes the same SQL and binds,
//! but lets diesel's per-connection statement cache keep the statement, keyed by its
//! text. Only fixed SQL text belongs here (assembled from fixed pieces at most): every
//! value goes through a bind, or each distinct text would become one more statement.
//!
//! Safe across tenants: a cached statement is re-analysed by PostgreSQL when
//! `search_path` differs from when it was planned (FACTS.md, "Schema per tenant"), and
//! a connection is recycled after serving a bounded number of tenants.
//!
//! Placeholders are `$1`, `$2`… as in `sql_query`; one may appear several times
//! (its value is then sent once per use) or not at all (not sent).
use std::borrow::Cow;
use std::marker::PhantomData;

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Untyped};
use diesel::{QueryResult, RunQueryDsl};

/// A statement with its binds; load it as `sql_query`'s (`QueryableByName` rows).
#[must_use = "queries run only when loaded or executed"]
pub struct Prepared<'a> {
    sql: Cow<'static, str>,
    /// The SQL split once at its placeholders: each piece's text (start, end) and the
    /// bind after it (diesel walks the query several times per execution).
    spans: Result<Vec<(usize, usize, Option<usize>)>, String>,
    args: Vec<Box<dyn Arg + 'a>>,
}

/// Starts a cached statement from its SQL text.
pub fn prepared<'a>(sql: impl Into<Cow<'static, str>>) -> Prepared<'a> {
    let sql: Cow<'static, str> = sql.into();
    let base = sql.as_ptr() as usize;
    let spans = pieces(&sql).map(|pieces| {
        pieces
            .into_iter()
            .map(|(text, arg)| {
                let start = text.as_ptr() as usize - base;
                (start, start + text.len(), arg)
            })
            .collect()
    });
    Prepared { sql, spans, args: Vec::new() }
}

impl<'a> Prepared<'a> {
    /// Binds the next placeholder (`$1` first) as SQL type `ST`.
    pub fn bind<ST, T>(mut self, value: T) -> Self
    where
        Pg: HasSqlType<ST>,
        T: ToSql<ST, Pg> + Send + 'a,
        ST: 'a,
    {
        self.args.push(Box::new(Typed::<ST, T> { value, _type: PhantomData }));
        self
    }
}

trait Arg: Send {
    fn push<'b>(&'b self, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()>;
}

struct Typed<ST, T> {
    value: T,
    _type: PhantomData<fn() -> ST>,
}

impl<ST, T> Arg for Typed<ST, T>
where
    Pg: HasSqlType<ST>,
    T: ToSql<ST, Pg> + Send,
{
    fn push<'b>(&'b self, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_bind_param::<ST, T>(&self.value)
    }
}

/// The SQL split at its placeholders: text, then the 0-based bind each one names.
fn pieces(sql: &str) -> Result<Vec<(&str, Option<usize>)>, String> {
    let bytes = sql.as_bytes();
    let (mut out, mut start, mut i, mut quoted) = (Vec::new(), 0, 0, false);
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => quoted = !quoted,
            // A line comment: nothing in it counts (an apostrophe included).
            b'-' if !quoted && bytes.get(i + 1) == Some(&b'-') => {
                i += bytes[i..].iter().position(|&b| b == b'\n').unwrap_or(bytes.len() - i);
                continue;
            }
            b'$' if !quoted && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let digits = bytes[i + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
                let n: usize = sql[i + 1..i + 1 + digits].parse().map_err(|_| format!("bad placeholder at {i}"))?;
                if n == 0 {
                    return Err("placeholders start at $1".into());
                }
                out.push((&sql[start..i], Some(n - 1)));
                i += 1 + digits;
                start = i;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out.push((&sql[start..], None));
    Ok(out)
}

impl QueryFragment<Pg> for Prepared<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let spans = self.spans.as_ref().map_err(|e| diesel::result::Error::QueryBuilderError(e.clone().into()))?;
        for &(start, end, arg) in spans {
            out.push_sql(&self.sql[start..end]);
            if let Some(n) = arg {
                let arg = self.args.get(n).ok_or_else(|| {
                    diesel::result::Error::QueryBuilderError(format!("${} has no bound value", n + 1).into())
                })?;
                arg.push(&mut out)?;
            }
        }
        Ok(())
    }
}

impl QueryId for Prepared<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Prepared<'_> {
    type SqlType = Untyped;
}

impl<Conn> RunQueryDsl<Conn> for Prepared<'_> {}

#[cfg(test)]
mod tests {
    use super::pieces;

    #[test]
    fn splits_at_placeholders_outside_quotes() {
        let p = pieces("SELECT $1, '$2', x FROM t WHERE a = $2 AND b = $1 OR c = $10").unwrap();
        assert_eq!(
            p,
            vec![
                ("SELECT ", Some(0)),
                (", '$2', x FROM t WHERE a = ", Some(1)),
                (" AND b = ", Some(0)),
                (" OR c = ", Some(9)),
                ("", None)
            ]
        );
        assert_eq!(pieces("SELECT 1").unwrap(), vec![("SELECT 1", None)]);
        assert!(pieces("SELECT $0").is_err());
        // `$` not followed by a digit is left alone (dollar quoting, jsonpath).
        assert_eq!(pieces("SELECT '$.a', $x$").unwrap(), vec![("SELECT '$.a', $x$", None)]);
        // A comment's apostrophe does not open a string.
        assert_eq!(
            pieces("SELECT 1 -- the author's\n WHERE a = $1").unwrap(),
            vec![("SELECT 1 -- the author's\n WHERE a = ", Some(0)), ("", None)]
        );
    }
}
