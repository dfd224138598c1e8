"""Everything shared by every environment, assembled from the concern modules."""

from .api import *  # noqa: F403
from .core import *  # noqa: F403
from .database import *  # noqa: F403
from .features import *  # noqa: F403
from .invoicing import *  # noqa: F403
from .jobs import *  # noqa: F403
from .metering import *  # noqa: F403
from .observability import *  # noqa: F403
from .payments import *  # noqa: F403
from .security import *  # noqa: F403
from .webhooks import *  # noqa: F403
