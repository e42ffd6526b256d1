//! `pinsync admin`: workspaces and API keys.

use clap::Subcommand;
use pinsync_store::DEFAULT_WORKSPACE;

use crate::config::Config;
use crate::serve::open_store;

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an API key and print it, alone, on standard output.
    CreateKey {
        /// Workspace the key belongs to (created if it does not exist).
        #[arg(long, default_value = DEFAULT_WORKSPACE)]
        workspace: String,
    },
    /// Create a workspace (no-op if it exists).
    CreateWorkspace {
        /// The workspace's name.
        name: String,
    },
}

pub async fn run(config: &Config, command: AdminCommand) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    match command {
        AdminCommand::CreateKey { workspace } => {
            let workspace = validated_name(&workspace)?;
            let workspace = store.ensure_workspace(workspace).await?;
            let key = pinsync_server::api_keys::generate(workspace.id);
            store.insert_api_key(key.stored.clone()).await?;
            eprintln!(
                "created an API key for workspace {:?} (shown once)",
                workspace.name
            );
            println!("{}", key.plaintext);
        }
        AdminCommand::CreateWorkspace { name } => {
            let workspace = store.ensure_workspace(validated_name(&name)?).await?;
            eprintln!("workspace {:?} is ready", workspace.name);
        }
    }
    Ok(())
}

fn validated_name(name: &str) -> anyhow::Result<&str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        anyhow::bail!("a workspace name must have 1 to 100 printable characters");
    }
    Ok(name)
}
