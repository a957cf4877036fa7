# newsdesk on Airflow 3: the official image extended with the project, whose dependencies are
# installed exactly as pinned in uv.lock (apache-airflow itself included, so the image runs the
# Airflow the tests ran). Built by `docker compose build`; see docs/airflow.md.
ARG AIRFLOW_IMAGE=apache/airflow:3.3.2-python3.11
FROM ${AIRFLOW_IMAGE}

ARG UV_VERSION=0.13.9

USER root
# Group 0 may write, as the image expects (containers run as ${AIRFLOW_UID}:0).
RUN mkdir -p /opt/newsdesk/data /opt/airflow/auth \
    && chown -R airflow:0 /opt/newsdesk /opt/airflow/auth \
    && chmod -R g+rwX /opt/newsdesk /opt/airflow/auth
USER airflow

# Dependencies first (they change less often than the code): uv.lock -> requirements with hashes.
COPY --chown=airflow:0 pyproject.toml uv.lock README.md /opt/newsdesk/
RUN pip install --no-cache-dir "uv==${UV_VERSION}" \
    && uv export --frozen --no-dev --no-emit-project --format requirements.txt \
        --project /opt/newsdesk --output-file /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The project, installed editable: `pipeline` finds sql/ and seeds/ beside itself.
COPY --chown=airflow:0 pipeline /opt/newsdesk/pipeline
COPY --chown=airflow:0 sql /opt/newsdesk/sql
COPY --chown=airflow:0 scripts /opt/newsdesk/scripts
COPY --chown=airflow:0 seeds /opt/newsdesk/seeds
COPY --chown=airflow:0 dags /opt/airflow/dags
RUN pip install --no-cache-dir --no-deps --editable /opt/newsdesk

ENV NEWSDESK_DATA_DIR=/opt/newsdesk/data \
    NEWSDESK_DB=/opt/newsdesk/data/newsdesk.duckdb \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/airflow/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False
