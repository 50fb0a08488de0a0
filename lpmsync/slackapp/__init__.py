"""The interactive Slack app (slack-bolt): buttons on alerts, `/lpm`, the App Home.

An entry point like the CLI: it receives what people do in Slack (over Socket Mode, or HTTP for
`mode: http`), checks who may act, calls the services, and answers. `build_app` wires a Bolt
`App`; `listen` runs it.
"""
