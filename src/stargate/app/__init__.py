"""The what-if web app (``stargate serve``): a Dash page over :func:`stargate.plan`."""

from stargate.app.main import create_app, scenario_from_controls

__all__ = ["create_app", "scenario_from_controls"]
