"""``stargate serve``: the what-if web app (Dash) on a local port."""

from __future__ import annotations

from typing import Annotated

import typer

from stargate.cli.app import app, console


@app.command("serve")
def serve_command(
    port: Annotated[int, typer.Option("--port", help="Port to listen on", min=1, max=65535)] = 8050,
    host: Annotated[str, typer.Option("--host", help="Address to bind (default: this machine only)")] = "127.0.0.1",
) -> None:
    """Start the interactive what-if app: choose the inputs, run the plan, read the tables, figures and claims."""
    from stargate.app import create_app

    console.print(f"Stargate Planner app on http://{host}:{port}/ (Ctrl-C to stop)")
    create_app().run(host=host, port=port, debug=False)
