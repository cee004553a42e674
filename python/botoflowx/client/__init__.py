"""SWF client construction, the raw transport, ``workflow_starter`` and execution handles."""

from botoflowx.client._errors import SWFError
from botoflowx.client._manual import ManualActivityCompletionClient
from botoflowx.client._starter import (
    ContinuedAsNew,
    WorkflowExecutionHandle,
    WorkflowStarter,
    get_workflow_handle,
    workflow_starter,
)
from botoflowx.client._swf import make_swf_client, make_swf_transport
from botoflowx.client._transport import RawSWFTransport

__all__ = [
    "ContinuedAsNew",
    "ManualActivityCompletionClient",
    "RawSWFTransport",
    "SWFError",
    "WorkflowExecutionHandle",
    "WorkflowStarter",
    "get_workflow_handle",
    "make_swf_client",
    "make_swf_transport",
    "workflow_starter",
]
