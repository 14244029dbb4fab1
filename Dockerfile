# casegraph: API + UI on port 8000, index built at image build time.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
WORKDIR /app
COPY . .

# The same commands the README and CI run: set up the venv (with the PostgreSQL client, so
# CASEGRAPH_STORE_URL can point the image at a database), build the embedded index.
RUN bash scripts/setup.sh postgres \
 && .venv/bin/casegraph ingest content --quiet \
 && useradd --create-home --uid 10001 casegraph \
 && chown -R casegraph:casegraph /app

USER casegraph
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD .venv/bin/python -c "import json,sys,urllib.request; r=urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4); sys.exit(0 if json.load(r)['status']=='ok' else 1)"
CMD [".venv/bin/casegraph", "serve", "--host", "0.0.0.0", "--port", "8000"]
