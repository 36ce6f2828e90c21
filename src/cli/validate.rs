//! `stockade validate [--strict]`: flags only; the verdict is `ops::validate`.
//! Exit status: 0 valid, 2 invalid (1 stays "stockade itself failed").
use crate::ui::Ui;
use anyhow::Result;

pub fn run(cli: &super::Cli, ui: &Ui) -> Result<()> {
    match crate::ops::validate::run(&cli.config_path(), cli.strict) {
        Ok(v) => {
            for w in &v.warnings {
                ui.warn(w);
            }
            if !v.not_applied.is_empty() {
                ui.warn(&format!("set but not applied by stockade yet: {}", v.not_applied.join(", ")));
            }
            let state = if v.state_found { "state file read" } else { "no state file yet" };
            ui.info(&format!("{}: valid ({} nodes, {state}); no host was contacted", cli.config_path().display(), v.nodes));
            Ok(())
        }
        // exit code 2 (crate::exit::Invalid), printed by main like every error
        Err(invalid) => Err(invalid.into()),
    }
}
