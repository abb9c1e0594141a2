"""Flask extensions, created unbound here and bound to the app in create_app."""

from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.pagination import SelectPagination
from flask_wtf import CSRFProtect

from intranet.models.base import Base

# A page number from the query string past this is the last page anyone could reach; larger
# ones (?page=99999999999999999999) would overflow the database's 64-bit OFFSET.
MAX_PAGE = 1_000_000
MAX_PER_PAGE = 500


class BoundedPagination(SelectPagination):
    """db.paginate's pages with the page number and size from the URL kept in range."""

    @staticmethod
    def _prepare_page_args(**kwargs) -> tuple[int, int]:
        page, per_page = SelectPagination._prepare_page_args(**kwargs)
        return min(page, MAX_PAGE), min(per_page, MAX_PER_PAGE)


class _SQLAlchemy(SQLAlchemy):
    def paginate(
        self,
        select,
        *,
        page=None,
        per_page=None,
        max_per_page=None,
        error_out=True,
        count=True,
    ):
        return BoundedPagination(
            select=select,
            session=self.session(),
            page=page,
            per_page=per_page,
            max_per_page=max_per_page,
            error_out=error_out,
            count=count,
        )


# Objects stay readable after commit: views commit, then render or redirect.
db = _SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
bootstrap = Bootstrap5()
# Limits are declared per route; nothing is limited by default.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
