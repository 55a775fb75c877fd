FROM python:3.12-slim

# Production unless told otherwise: the image refuses to start without a real SECRET_KEY.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 ENVIRONMENT=production
WORKDIR /app

COPY pyproject.toml README.md ./
COPY api ./api
COPY models ./models
RUN pip install --no-cache-dir .
COPY alembic.ini ./
COPY alembic ./alembic

USER nobody
EXPOSE 8000
# The app reads X-Forwarded-For itself, from TRUSTED_PROXIES only: uvicorn must not.
CMD ["uvicorn", "api.main:app", "--host", "0.0.0.0", "--port", "8000", "--workers", "2", "--no-proxy-headers"]
