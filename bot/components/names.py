"""NameExtractor: the `name` entity from the wording of an introduction, not from DIET.

Cross-validation showed DIET finding names it has never seen only three times in four
(F1 0.75): names are open-class words, and what marks one is the introduction around it
("call me _", "my name is _", "_ here"). `tastes.names` knows those shapes, and the
action server already used it as a fallback; here it becomes Rasa's one name extractor,
so the NLU result, `rasa test nlu` and the actions agree on the name.

"call me Jo" is an introduction whatever the intent; "I'm Jo" and "Jo here" count only
when DIET (which runs before this component) classified the message as give_name, so
"I'm keto" in a taste message never becomes a name.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    INTENT,
    INTENT_NAME_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from tastes.cleaning import clean_input
from tastes.names import find_name


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class NameExtractor(GraphComponent, EntityExtractorMixin):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"entity": "name", "intents": ["give_name"]}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> NameExtractor:
        return cls({**cls.get_default_config(), **config})

    def __init__(self, config: dict[str, Any]) -> None:
        self._entity = str(config["entity"])
        self._intents = frozenset(config["intents"])

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            entity = self._extract(message)
            if entity is not None:
                found = self.add_extractor_name([entity])
                message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages

    def _extract(self, message: Message) -> dict[str, Any] | None:
        text = message.get(TEXT)
        if not isinstance(text, str) or not text.strip():
            return None
        found = find_name(text)
        if found is None:
            return None
        if not found.strong:
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            if intent not in self._intents:
                return None
        start, end = found.start, found.end
        cleaned = clean_input(text)
        if len(cleaned) != len(text):
            # clean_input changed lengths (NFC, truncation): find the words in the original.
            at = text.find(cleaned[start:end])
            if at < 0:
                at = text.casefold().find(cleaned[start:end].casefold())
            if at < 0:
                return None
            start, end = at, at + (end - start)
        return {
            ENTITY_ATTRIBUTE_TYPE: self._entity,
            ENTITY_ATTRIBUTE_START: start,
            ENTITY_ATTRIBUTE_END: end,
            # The words as written, as Rasa's extractors report them; the action styles them.
            ENTITY_ATTRIBUTE_VALUE: text[start:end],
        }
