"""One workflow driven by hand with plain boto3 against the embedded SWF server.

No botoflowx workflow code here: this is what every SWF client does under the
hood (register, start, poll a decision task, schedule an activity, poll the
activity task, complete it, complete the workflow), and it shows that the
embedded server speaks the real SWF API.

Run it with ``.venv/bin/python examples/raw_boto3.py``.
"""

from __future__ import annotations

import boto3

from botoflowx.server import EmbeddedServer

DOMAIN = "raw-boto3-demo"
TASK_LIST = {"name": "raw-boto3"}


def main() -> None:
    with EmbeddedServer(database=":memory:") as server:
        swf = boto3.client(
            "swf",
            endpoint_url=server.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        swf.register_domain(name=DOMAIN, workflowExecutionRetentionPeriodInDays="1")
        swf.register_workflow_type(
            domain=DOMAIN,
            name="Greeter",
            version="1",
            defaultTaskList=TASK_LIST,
            defaultExecutionStartToCloseTimeout="60",
            defaultTaskStartToCloseTimeout="10",
            defaultChildPolicy="TERMINATE",
        )
        swf.register_activity_type(
            domain=DOMAIN,
            name="greet",
            version="1",
            defaultTaskList=TASK_LIST,
            defaultTaskScheduleToStartTimeout="60",
            defaultTaskStartToCloseTimeout="60",
            defaultTaskScheduleToCloseTimeout="120",
            defaultTaskHeartbeatTimeout="NONE",
        )
        run = swf.start_workflow_execution(
            domain=DOMAIN,
            workflowId="greeting-1",
            workflowType={"name": "Greeter", "version": "1"},
            input="World",
        )
        print(f"started workflowId=greeting-1 runId={run['runId']}")

        task = swf.poll_for_decision_task(domain=DOMAIN, taskList=TASK_LIST, identity="decider")
        name = task["events"][0]["workflowExecutionStartedEventAttributes"]["input"]
        swf.respond_decision_task_completed(
            taskToken=task["taskToken"],
            decisions=[
                {
                    "decisionType": "ScheduleActivityTask",
                    "scheduleActivityTaskDecisionAttributes": {
                        "activityType": {"name": "greet", "version": "1"},
                        "activityId": "1",
                        "input": name,
                    },
                }
            ],
        )

        activity = swf.poll_for_activity_task(domain=DOMAIN, taskList=TASK_LIST, identity="worker")
        greeting = f"Hello {activity['input']}!"
        swf.respond_activity_task_completed(taskToken=activity["taskToken"], result=greeting)

        task = swf.poll_for_decision_task(domain=DOMAIN, taskList=TASK_LIST, identity="decider")
        result = next(
            e["activityTaskCompletedEventAttributes"]["result"]
            for e in task["events"]
            if e["eventType"] == "ActivityTaskCompleted"
        )
        swf.respond_decision_task_completed(
            taskToken=task["taskToken"],
            decisions=[
                {
                    "decisionType": "CompleteWorkflowExecution",
                    "completeWorkflowExecutionDecisionAttributes": {"result": result},
                }
            ],
        )

        info = swf.describe_workflow_execution(
            domain=DOMAIN, execution={"workflowId": "greeting-1", "runId": run["runId"]}
        )["executionInfo"]
        print(f"closed with {info['closeStatus']}: {result}")
        history = swf.get_workflow_execution_history(
            domain=DOMAIN, execution={"workflowId": "greeting-1", "runId": run["runId"]}
        )["events"]
        for event in history:
            print(f"  {event['eventId']:>3}  {event['eventType']}")


if __name__ == "__main__":
    main()
