//! `pinsync admin`: workspaces, API keys and dashboard users.

use clap::Subcommand;
use pinsync_store::DEFAULT_WORKSPACE;

use crate::config::Config;
use crate::serve::open_store;

#[derive(Debug, Subcommand)]
// The variant names are the subcommands users type (`create-key`, `create-user`, …).
#[allow(clippy::enum_variant_names)]
pub enum AdminCommand {
    /// Create an API key and print it, alone, on standard output.
    CreateKey {
        /// Workspace the key belongs to (created if it does not exist).
        #[arg(long, default_value = DEFAULT_WORKSPACE)]
        workspace: String,
    },
    /// Create a dashboard user (or set the password of an existing one) and add them to
    /// workspaces. The password is read from `PINSYNC_NEW_PASSWORD`, else from one line of
    /// standard input; it is never printed.
    CreateUser {
        /// The name the user signs in with.
        login: String,
        /// A workspace the user belongs to (created if needed); repeat for several.
        #[arg(long = "workspace", default_value = DEFAULT_WORKSPACE)]
        workspaces: Vec<String>,
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
        AdminCommand::CreateUser { login, workspaces } => {
            create_user(store.as_ref(), &login, &workspaces).await?;
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

fn read_new_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("PINSYNC_NEW_PASSWORD") {
        return Ok(password);
    }
    eprintln!("password for the new dashboard user (one line on standard input):");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

async fn create_user(
    store: &dyn pinsync_store::Store,
    login: &str,
    workspaces: &[String],
) -> anyhow::Result<()> {
    let login = pinsync_server::dashboard::validate_login(login).map_err(anyhow::Error::msg)?;
    let hash = pinsync_server::dashboard::passwords::hash_password(&read_new_password()?)?;
    let user = match store.dashboard_user_by_login(login).await? {
        Some(user) => {
            store.set_dashboard_password(user.id, &hash).await?;
            eprintln!("dashboard user {:?} exists: password replaced", user.login);
            user
        }
        None => {
            let user = store.create_dashboard_user(login, &hash).await?;
            eprintln!("created dashboard user {:?}", user.login);
            user
        }
    };
    for name in workspaces {
        let workspace = store.ensure_workspace(validated_name(name)?).await?;
        store.add_workspace_member(user.id, workspace.id).await?;
        eprintln!("{:?} belongs to workspace {:?}", user.login, workspace.name);
    }
    Ok(())
}
