"""A report worker's kernel counts as ready once it answers and is heard, by whatever it broadcasts."""

import queue

import pytest
from jupyter_core.utils import run_sync

from aidcalc.report import kernel


class Channel:
    """A client channel that hands out the messages given, then nothing (queue.Empty)."""

    def __init__(self, messages):
        self.messages = list(messages)

    async def get_msg(self, timeout=None):
        if not self.messages:
            raise queue.Empty
        return self.messages.pop(0)


class Client:
    def __init__(self, shell, iopub):
        self.shell_channel, self.iopub_channel = Channel(shell), Channel(iopub)
        self.asked = self.waited = 0

    def kernel_info(self):
        self.asked += 1

    async def wait_for_ready(self, timeout=None):
        self.waited += 1


class Manager:
    def __init__(self, alive=True):
        self.alive = alive

    async def is_alive(self):
        return self.alive


REPLY = {"msg_type": "kernel_info_reply"}


@pytest.mark.parametrize(("broadcasts", "waited"), [
    ([{"msg_type": "iopub_welcome"}], 0),  # the subscription announced (ipykernel 7)
    ([{"msg_type": "status"}], 0),  # a status of one of the requests (older kernels)
    ([], 1),  # nothing heard for 2 s after the answer: jupyter_client's own wait decides
], ids=["welcome", "status", "silent"])
def test_a_kernel_is_ready_when_it_answers_and_is_heard(broadcasts, waited):
    client = Client([REPLY], broadcasts)
    run_sync(kernel._ready)(Manager(), client)
    assert client.waited == waited and client.asked >= 1


def test_a_kernel_that_dies_before_it_answers_is_reported_as_wait_for_ready_reports_it():
    with pytest.raises(RuntimeError, match="Kernel died before replying to kernel_info"):
        run_sync(kernel._ready)(Manager(alive=False), Client([], []))


def test_a_kernel_that_never_answers_is_reported_after_the_time_given():
    with pytest.raises(RuntimeError, match=r"Kernel didn't respond in 0.1 seconds"):
        run_sync(kernel._ready)(Manager(), Client([], []), within=0.1)
