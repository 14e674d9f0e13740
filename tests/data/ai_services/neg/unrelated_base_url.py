import requests

base_url = "https://api.example.invalid"
session = requests.Session()
session.get(base_url + "/health")


class Client:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url


c = Client(base_url="https://{host:deepseek}")  # not an AI client: a local class
model = "qwen-max"
