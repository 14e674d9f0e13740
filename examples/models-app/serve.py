"""A small service that loads two models from the Hugging Face cache next to it.

`hf-cache/` was laid out by huggingface_hub (`snapshot_download`) from a loopback Hub
(`python -m tests.examples.models_demo`); the pinned revisions are the cached ones.
"""

from transformers import AutoModelForCausalLM

# A re-packager's GGUF quantisation: whose model is it really, and from which country?
chat = AutoModelForCausalLM.from_pretrained(
    "bartowski/Qwen2.5-0.5B-Instruct-GGUF",
    revision="4d216cfe0fcb329c18edc45dc259a095119db787",
    gguf_file="Qwen2.5-0.5B-Instruct-Q4_K_M.gguf",
)

# Nobody has vetted this one: the policy blocks it.
small_talk = AutoModelForCausalLM.from_pretrained(
    "someone-new/tiny-chat", revision="8e03bdeb613379d7e93322c16a9485c7f07b505a"
)
