import os

from django.core.wsgi import get_wsgi_application

from config.gc_tuning import gc_tune

gc_tune()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
