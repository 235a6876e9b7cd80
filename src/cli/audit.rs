//! `vault audit`: weak, reused, old and breached passwords, by entry name; exit 10 when any.

use std::fmt::Write as _;
use std::path::Path;
use std::time::SystemTime;

use super::args::AuditArgs;
use super::{Context, Prompting, output};
use vault::audit::{self, Finding, PwnedPasswords};
use vault::error::{Error, Result};

/// The exit code that says the audit found something.
const FINDINGS: u8 = 10;

pub fn run(ctx: &Context, args: &AuditArgs) -> Result<()> {
    let hibp = args.hibp.as_deref();
    let cannot_read = |path: &Path, e| Error::io(format!("cannot read {}", path.display()), e);
    // Opened first: a wrong path should not cost a passphrase.
    let mut pwned = hibp
        .map(|path| PwnedPasswords::open(path).map_err(|e| cannot_read(path, e)))
        .transpose()?;
    let identity = ctx.identity(Prompting::IfTerminal)?;
    let doc = ctx.store()?.load(&identity)?;
    drop(identity);
    let reports = audit::audit(&doc, args.older_than, SystemTime::now(), pwned.as_mut())
        .map_err(|e| cannot_read(hibp.unwrap_or(Path::new("")), e))?;
    let audited = doc
        .entries
        .values()
        .filter(|e| !e.password.is_empty())
        .count();
    drop(doc);

    let mut out = String::new();
    if args.json {
        // Serialising names and numbers cannot fail.
        out = serde_json::to_string_pretty(&reports).unwrap_or_default();
        out.push('\n');
    } else {
        for report in &reports {
            let reasons: Vec<String> = report.findings.iter().map(|f| reason(*f, report)).collect();
            writeln!(
                out,
                "{}: {}",
                output::printable(&report.name),
                reasons.join(", ")
            )
            .ok();
        }
    }
    output::stdout(out.as_bytes())?;
    if reports.is_empty() {
        output::say(&format!("no findings in {audited} passwords"));
        Ok(())
    } else {
        output::say(&format!(
            "{} of {audited} passwords need attention",
            reports.len()
        ));
        Err(Error::Reported(FINDINGS))
    }
}

fn reason(finding: Finding, report: &audit::Report) -> String {
    match finding {
        Finding::Weak => "weak".into(),
        Finding::Reused => {
            let others: Vec<_> = report
                .reused_with
                .iter()
                .map(|name| output::printable(name))
                .collect();
            format!("reused (also in {})", others.join(", "))
        }
        Finding::Old => format!(
            "old (unchanged for {} days)",
            report.age_days.unwrap_or_default()
        ),
        Finding::Breached => format!(
            "breached (seen {} times)",
            report.breach_count.unwrap_or_default()
        ),
    }
}
