# Production image: the same steps as the Makefile (install the pinned requirements, collectstatic),
# served by gunicorn as a non-root user. Configure it with the environment variables in the README.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8000

WORKDIR /app

COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

COPY . .

# make collectstatic: hashed, compressed static files baked into the image.
RUN DJANGO_SECRET_KEY=collectstatic-only-build-step python manage.py collectstatic --noinput -v0
# make places: the ZIP code and town file every worker shares (procedures/geo.py), built once here.
RUN DJANGO_SECRET_KEY=build-only-step python manage.py shell -c "from procedures.geo import warm_up; warm_up()"

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin app \
    && mkdir -p /app/media /app/data \
    && chown -R app:app /app/media /app/data
USER app

EXPOSE 8000
CMD ["gunicorn", "--config", "gunicorn.conf.py", "sijoint_site.wsgi"]
