"""flask-websub's hub (PyPI flask-websub, with Celery and Redis), as the external
hub of tests/interop/websub_check.py. One module, imported by both of the hub's
processes, the web side (`python websub_hub_app.py`) and the Celery worker
(`python -m celery -A websub_hub_app:celery worker ...`): flask-websub names its
tasks after a per-process counter, so both must build the one Hub the same way.

Environment: HUB_BROKER_URL (Redis), HUB_DB (SQLite file both share), HUB_PORT.
"""
import os

from celery import Celery
from flask import Flask
from flask_websub.hub import Hub, SQLite3HubStorage

env = os.environ.get
app = Flask(__name__)
# Read by the web side: publish pings are refused unless supported.
app.config["PUBLISH_SUPPORTED"] = True
# Read by the worker: quick retries, for a test.
app.config["REQUEST_TIMEOUT"] = 3.0
app.config["MAX_ATTEMPTS"] = 3
app.config["BACKOFF_BASE"] = 0.5
celery = Celery("websub_hub_app", broker=env("HUB_BROKER_URL"))
celery.conf.update(broker_connection_retry_on_startup=True, task_ignore_result=True)
hub = Hub(SQLite3HubStorage(env("HUB_DB")), celery, **app.config)
app.register_blueprint(hub.build_blueprint(url_prefix="/hub"))

if __name__ == "__main__":
    from werkzeug.serving import run_simple
    run_simple("127.0.0.1", int(env("HUB_PORT")), app, threaded=True, use_reloader=False)
