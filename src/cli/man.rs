//! `stockade man`: the manual page, generated from the CLI definition (the committed
//! `stockade.1` is checked against it by a test).
use clap::CommandFactory;
use std::io::Write;

pub fn page() -> std::io::Result<Vec<u8>> {
    let mut cmd = super::Cli::command();
    // the exit codes get their own section below, not clap's "EXTRA" of the --help epilogue
    cmd = cmd.after_help("");
    let man = clap_mangen::Man::new(cmd);
    let mut buf = Vec::new();
    man.render_title(&mut buf)?;
    man.render_name_section(&mut buf)?;
    man.render_synopsis_section(&mut buf)?;
    man.render_description_section(&mut buf)?;
    man.render_options_section(&mut buf)?;
    man.render_subcommands_section(&mut buf)?;
    writeln!(buf, ".SH \"EXIT STATUS\"")?;
    for (code, what) in crate::exit::CODES {
        writeln!(buf, ".TP\n{}\n{}", code.as_i32(), roff_text(what))?;
    }
    man.render_version_section(&mut buf)?;
    Ok(buf)
}

/// Text safe in a roff paragraph: backslashes escaped, no line starting with a control character.
fn roff_text(s: &str) -> String {
    let s = s.replace('\\', "\\e");
    if s.starts_with(['.', '\'']) { format!("\\&{s}") } else { s }
}

pub fn run() -> anyhow::Result<()> {
    crate::ui::print(&String::from_utf8_lossy(&page()?))?;
    Ok(())
}
