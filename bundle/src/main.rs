//! Builds the browser bundle from the frontend's WASM (built with
//! `-C link-args=--emit-relocs`): splits it at every `#[lazy]` function into chunks loaded on
//! demand, runs `wasm-bindgen`, `wasm-opt` and `esbuild`, names every file by content and
//! writes `hash.txt` beside the server binary for Leptos's `HydrationScripts`.
//!
//! This is what `cargo leptos build --release --split` does, in a crate that compiles in
//! seconds instead of cargo-leptos's twenty minutes (`scripts/lib.sh` runs it).
#![forbid(unsafe_code)]

mod names;

use std::collections::BTreeMap;
use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use clap::Parser;

use names::LOADER_PLACEHOLDER;

/// Where the bundle comes from and goes.
#[derive(Parser)]
struct Args {
    /// The frontend's WASM as rustc linked it.
    #[arg(long)]
    wasm: PathBuf,
    /// The site root (`LEPTOS_SITE_ROOT`); `pkg/` under it is rebuilt from scratch.
    #[arg(long)]
    site: PathBuf,
    /// Base name of the main JS and WASM (`LEPTOS_OUTPUT_NAME`).
    #[arg(long, default_value = "oncelink")]
    name: String,
    /// The stylesheet, minified into `pkg/{name}.{hash}.css`.
    #[arg(long)]
    style: PathBuf,
    /// Files copied as they are to the site root (favicon…).
    #[arg(long)]
    assets: PathBuf,
    /// Where `hash.txt` goes: beside the server binary.
    #[arg(long)]
    hash_file: PathBuf,
    /// Scratch space; keeps the split main module as the splitter wrote it, with its names
    /// (for `bench/wasm-sizes.py`).
    #[arg(long)]
    work_dir: PathBuf,
}

type Result<T> = std::result::Result<T, Box<dyn Error>>;

fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bundle: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<()> {
    let pkg = args.site.join("pkg");
    if pkg.exists() {
        fs::remove_dir_all(&pkg).map_err(|e| format!("cannot clear {}: {e}", pkg.display()))?;
    }
    fs::create_dir_all(&pkg)?;
    copy_dir(&args.assets, &args.site)?;

    fs::create_dir_all(&args.work_dir)?;
    let split_main = args.work_dir.join("main.wasm");
    let input = fs::read(&args.wasm).map_err(|e| format!("{}: {e}", args.wasm.display()))?;
    let main_js = format!("./{}.js", args.name);
    let link_name = format!("./{LOADER_PLACEHOLDER}");
    let split = wasm_split_cli_support::transform({
        let mut opts = wasm_split_cli_support::Options::new(&input);
        opts.output_dir = &pkg;
        opts.main_out_path = &split_main;
        opts.main_module = &main_js;
        opts.link_name = &link_name;
        opts
    })
    .map_err(|e| format!("splitting the WASM: {e:#}"))?;
    drop(input);

    tool(
        Command::new("wasm-bindgen").args([
            "--target=web".as_ref(),
            "--no-typescript".as_ref(),
            // The chunks call the main module's functions by their linker names.
            "--keep-lld-exports".as_ref(),
            "--no-demangle".as_ref(),
            format!("--out-name={}", args.name).as_ref(),
            format!("--out-dir={}", pkg.display()).as_ref(),
            split_main.as_os_str(),
        ]),
        false,
    )?;
    let main_wasm = pkg.join(format!("{}.wasm", args.name));
    fs::rename(pkg.join(format!("{}_bg.wasm", args.name)), &main_wasm)?;

    let mut wasm_files = vec![main_wasm];
    wasm_files.extend(split.split_modules.iter().cloned());
    optimise(&wasm_files)?;
    for js in [pkg.join(&main_js), pkg.join(LOADER_PLACEHOLDER)] {
        minify(&js, &js)?;
    }
    let css = pkg.join(format!("{}.css", args.name));
    minify(&args.style, &css)?;

    let hashes = name_by_content(&pkg, &args.name, &split)?;
    fs::write(&args.hash_file, hashes).map_err(|e| format!("{}: {e}", args.hash_file.display()))?;
    Ok(())
}

/// Renames the bundle's files by content, rewrites the names they refer to each other by,
/// writes the split manifest; returns `hash.txt`'s content.
fn name_by_content(
    pkg: &Path,
    name: &str,
    split: &wasm_split_cli_support::SplitWasm,
) -> Result<String> {
    let css_name = format!("{name}.css");
    let mut bundle = BTreeMap::new();
    for entry in fs::read_dir(pkg)? {
        let entry = entry?;
        let file = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type()?.is_file() && file != css_name {
            bundle.insert(file, fs::read(entry.path())?);
        }
    }
    let hash = names::hash(&bundle);
    let loader = names::hashed_name(LOADER_PLACEHOLDER, &hash);
    let main_js = format!("{name}.js");
    let main_wasm = format!("{name}.wasm");
    let chunks: Vec<String> = split
        .split_modules
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();

    for (file, mut bytes) in bundle {
        names::replace_same_length(&mut bytes, LOADER_PLACEHOLDER.as_bytes(), loader.as_bytes());
        if file == LOADER_PLACEHOLDER {
            bytes = names::replace_text(
                &bytes,
                &format!("./{main_js}"),
                &format!("./{}", names::hashed_name(&main_js, &hash)),
            );
            for chunk in &chunks {
                bytes = names::replace_text(
                    &bytes,
                    &format!("./{chunk}"),
                    &format!("./{}", names::hashed_name(chunk, &hash)),
                );
            }
        } else if file == main_js {
            // wasm-bindgen's default URL for the module, used when init is given none.
            bytes = names::replace_text(
                &bytes,
                &format!("{name}_bg.wasm"),
                &names::hashed_name(&main_wasm, &hash),
            );
        }
        if names::has_placeholder(&bytes) {
            return Err(format!("{file}: a placeholder name is left after rewriting").into());
        }
        fs::write(pkg.join(names::hashed_name(&file, &hash)), bytes)?;
        fs::remove_file(pkg.join(&file))?;
    }

    let css = fs::read(pkg.join(&css_name))?;
    let css_hash = names::hash(&BTreeMap::from([(css_name.clone(), css)]));
    fs::rename(
        pkg.join(&css_name),
        pkg.join(names::hashed_name(&css_name, &css_hash)),
    )?;

    // Read by the server (HydrationScripts) to preload the chunks a page's lazy routes need.
    let manifest = serde_json::to_vec(&names::hashed_manifest(&split.prefetch_map, &hash))?;
    fs::write(pkg.join("__wasm_split_manifest.json"), manifest)?;
    Ok(format!(
        "js: {hash}\nwasm: {hash}\ncss: {css_hash}\nsplit: {hash}\n"
    ))
}

/// `wasm-opt -Oz` on every module, two at a time.
fn optimise(files: &[PathBuf]) -> Result<()> {
    let (first, second) = files.split_at(files.len().div_ceil(2));
    let each = |files: &[PathBuf]| -> std::result::Result<(), String> {
        for file in files {
            tool(
                Command::new("wasm-opt").args([
                    "-Oz".as_ref(),
                    "--enable-bulk-memory".as_ref(),
                    "--enable-nontrapping-float-to-int".as_ref(),
                    file.as_os_str(),
                    "-o".as_ref(),
                    file.as_os_str(),
                ]),
                true,
            )
            .map_err(|e| e.to_string())?;
        }
        Ok(())
    };
    std::thread::scope(|scope| {
        let other = scope.spawn(|| each(second));
        let mine = each(first);
        let other = other
            .join()
            .unwrap_or_else(|_| Err("wasm-opt thread panicked".into()));
        mine.and(other)
    })?;
    Ok(())
}

/// Minifies JS or CSS with esbuild (from npm), keeping ES module syntax and imports.
fn minify(from: &Path, to: &Path) -> Result<()> {
    tool(
        Command::new("esbuild").args([
            from.as_os_str(),
            format!("--outfile={}", to.display()).as_ref(),
            "--minify".as_ref(),
            "--allow-overwrite".as_ref(),
            "--log-level=warning".as_ref(),
            // wasm-bindgen imports the split loader once per import group, under the same key.
            "--log-override:duplicate-object-key=silent".as_ref(),
        ]),
        false,
    )
}

/// Runs a tool to completion. `quiet` keeps its output unless it fails (wasm-opt warns
/// about the splitter's name subsections on every run).
fn tool(command: &mut Command, quiet: bool) -> Result<()> {
    let program = command.get_program().to_string_lossy().into_owned();
    let cannot_run =
        |e| format!("cannot run {program} (is it on PATH? scripts/setup.sh installs it): {e}");
    let (status, stderr) = if quiet {
        let output = command.output().map_err(cannot_run)?;
        (output.status, output.stderr)
    } else {
        (command.status().map_err(cannot_run)?, Vec::new())
    };
    if !status.success() {
        eprint!("{}", String::from_utf8_lossy(&stderr));
        return Err(format!("{program} failed ({status})").into());
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}
