"""Channel type lists per backend family, as data (from ../shared/api contract notes).

New API numbers its types 0-60 (gaps at 28-30 and 32); Veloera has New API's up to 48; One API shares
0-25 and diverges from 26; legacy Octopus numbers its five outbound types 0-5, current Octopus and
AxonHub name them with strings, Claude Code Hub has four named provider types, and One Hub shares
New API's numbers up to 23 only (Done Hub adds 57-62 of its own).
"""

from __future__ import annotations

from .models import ChannelType, TypeCatalog

_REQUIRED = object()

_NEWAPI_TYPES: list[tuple[int, str, object]] = [
    (0, "Unknown", ""),
    (1, "OpenAI", "https://api.openai.com"),
    (2, "Midjourney Proxy", "https://oa.api2d.net"),
    (3, "Azure", _REQUIRED),
    (4, "Ollama", "http://localhost:11434"),
    (5, "MidjourneyPlus", "https://api.openai-sb.com"),
    (6, "OpenAIMax", "https://api.openaimax.com"),
    (7, "OhMyGPT", "https://api.ohmygpt.com"),
    (8, "Custom", _REQUIRED),
    (9, "AILS", "https://api.caipacity.com"),
    (10, "AIProxy", "https://api.aiproxy.io"),
    (11, "PaLM", ""),
    (12, "API2GPT", "https://api.api2gpt.com"),
    (13, "AIGC2D", "https://api.aigc2d.com"),
    (14, "Anthropic", "https://api.anthropic.com"),
    (15, "Baidu", "https://aip.baidubce.com"),
    (16, "Zhipu", "https://open.bigmodel.cn"),
    (17, "Ali", "https://dashscope.aliyuncs.com"),
    (18, "Xunfei", ""),
    (19, "360", "https://api.360.cn"),
    (20, "OpenRouter", "https://openrouter.ai/api"),
    (21, "AIProxyLibrary", "https://api.aiproxy.io"),
    (22, "FastGPT", "https://fastgpt.run/api/openapi"),
    (23, "Tencent", "https://hunyuan.tencentcloudapi.com"),
    (24, "Gemini", "https://generativelanguage.googleapis.com"),
    (25, "Moonshot", "https://api.moonshot.cn"),
    (26, "ZhipuV4", "https://open.bigmodel.cn"),
    (27, "Perplexity", "https://api.perplexity.ai"),
    (31, "LingYiWanWu", "https://api.lingyiwanwu.com"),
    (33, "AWS Bedrock", ""),
    (34, "Cohere", "https://api.cohere.ai"),
    (35, "MiniMax", "https://api.minimax.chat"),
    (36, "SunoAPI", ""),
    (37, "Dify", "https://api.dify.ai"),
    (38, "Jina", "https://api.jina.ai"),
    (39, "Cloudflare", "https://api.cloudflare.com"),
    (40, "SiliconFlow", "https://api.siliconflow.cn"),
    (41, "VertexAI", ""),
    (42, "Mistral", "https://api.mistral.ai"),
    (43, "DeepSeek", "https://api.deepseek.com"),
    (44, "MokaAI", "https://api.moka.ai"),
    (45, "VolcEngine", "https://ark.cn-beijing.volces.com"),
    (46, "BaiduV2", "https://qianfan.baidubce.com"),
    (47, "Xinference", ""),
    (48, "xAI", "https://api.x.ai"),
    (49, "Coze", "https://api.coze.cn"),
    (50, "Kling", "https://api.klingai.com"),
    (51, "Jimeng", "https://visual.volcengineapi.com"),
    (52, "Vidu", "https://api.vidu.cn"),
    (53, "Submodel", "https://llm.submodel.ai"),
    (54, "DoubaoVideo", "https://ark.cn-beijing.volces.com"),
    (55, "Sora", "https://api.openai.com"),
    (56, "Replicate", "https://api.replicate.com"),
    (57, "ChatGPT Subscription (Codex)", "https://chatgpt.com"),
    (58, "Advanced Custom", ""),
    (59, "Sub2API", ""),
    (60, "New API", _REQUIRED),
]

_ONEAPI_OVERRIDES: dict[int, tuple[str, object]] = {
    2: ("API2D", "https://oa.api2d.net"),
    4: ("CloseAI", "https://api.closeai-proxy.xyz"),
    5: ("OpenAI-SB", "https://api.openai-sb.com"),
    11: ("PaLM", "https://generativelanguage.googleapis.com"),
    26: ("Baichuan", "https://api.baichuan-ai.com"),
    27: ("Minimax", "https://api.minimax.chat"),
    28: ("Mistral", "https://api.mistral.ai"),
    29: ("Groq", "https://api.groq.com/openai"),
    30: ("Ollama", "http://localhost:11434"),
    31: ("LingYiWanWu", "https://api.lingyiwanwu.com"),
    32: ("StepFun", "https://api.stepfun.com"),
    33: ("AwsClaude", ""),
    34: ("Coze", "https://api.coze.com"),
    35: ("Cohere", "https://api.cohere.ai"),
    36: ("DeepSeek", "https://api.deepseek.com"),
    37: ("Cloudflare", "https://api.cloudflare.com"),
    38: ("DeepL", "https://api-free.deepl.com"),
    39: ("TogetherAI", "https://api.together.xyz"),
    40: ("Doubao", "https://ark.cn-beijing.volces.com"),
    41: ("Novita", "https://api.novita.ai/v3/openai"),
    42: ("VertexAI", ""),
    43: ("Proxy", _REQUIRED),
    44: ("SiliconFlow", "https://api.siliconflow.cn"),
    45: ("xAI", "https://api.x.ai"),
    46: ("Replicate", "https://api.replicate.com/v1/models/"),
    47: ("BaiduV2", "https://qianfan.baidubce.com"),
    48: ("XunfeiV2", "https://spark-api-open.xf-yun.com"),
    49: ("AliBailian", "https://dashscope.aliyuncs.com"),
    50: ("OpenAICompatible", _REQUIRED),
    51: ("GeminiOpenAICompatible", "https://generativelanguage.googleapis.com"),
}


def _entry(code: int | str, name: str, base: object) -> ChannelType:
    required = base is _REQUIRED
    return ChannelType(
        code=code,
        name=name,
        default_base_url="" if required else str(base),
        base_url_required=required,
    )


NEWAPI_TYPES = TypeCatalog((_entry(code, name, base) for code, name, base in _NEWAPI_TYPES), numbering="newapi")

VELOERA_TYPES = TypeCatalog((_entry(c, n, b) for c, n, b in _NEWAPI_TYPES if c <= 48), numbering="newapi")
"""Veloera forked New API when its list ended at 48 (xAI); the numbers up to there are the same."""

_ONEAPI_SHARED = [(c, *_ONEAPI_OVERRIDES.get(c, (n, b))) for c, n, b in _NEWAPI_TYPES if c <= 25]
_ONEAPI_OWN = [(c, n, b) for c, (n, b) in _ONEAPI_OVERRIDES.items() if c > 25]
ONEAPI_TYPES = TypeCatalog((_entry(*row) for row in _ONEAPI_SHARED + _ONEAPI_OWN), numbering="oneapi")

_ONEHUB_TYPES: list[tuple[int, str, object]] = [
    (1, "OpenAI", "https://api.openai.com"),
    (3, "Azure", _REQUIRED),
    (8, "Custom", _REQUIRED),
    (11, "PaLM", "https://generativelanguage.googleapis.com"),
    (14, "Anthropic", "https://api.anthropic.com"),
    (15, "Baidu", "https://aip.baidubce.com"),
    (16, "Zhipu", "https://open.bigmodel.cn/api/paas/v4"),
    (17, "Ali", "https://dashscope.aliyuncs.com"),
    (18, "Xunfei", "wss://spark-api.xf-yun.com"),
    (19, "360", "https://ai.360.cn"),
    (20, "OpenRouter", "https://openrouter.ai/api"),
    (23, "Tencent", "https://hunyuan.cloud.tencent.com"),
    (24, "Azure Speech", ""),
    (25, "Gemini", "https://generativelanguage.googleapis.com"),
    (26, "Baichuan", "https://api.baichuan-ai.com"),
    (27, "MiniMax", "https://api.minimax.chat"),
    (28, "DeepSeek", "https://api.deepseek.com"),
    (29, "Moonshot", "https://api.moonshot.cn"),
    (30, "Mistral", "https://api.mistral.ai"),
    (31, "Groq", "https://api.groq.com/openai"),
    (32, "AWS Bedrock", ""),
    (33, "LingYiWanWu", "https://api.lingyiwanwu.com"),
    (34, "Midjourney", _REQUIRED),
    (35, "Cloudflare", "https://api.cloudflare.com"),
    (36, "Cohere", "https://api.cohere.ai"),
    (37, "Stability AI", "https://api.stability.ai/v2beta"),
    (38, "Coze", "https://api.coze.com/open_api"),
    (39, "Ollama", "https://ollama.com"),
    (40, "Hunyuan", "https://hunyuan.tencentcloudapi.com"),
    (41, "Suno", _REQUIRED),
    (42, "VertexAI", ""),
    (43, "LLAMA", ""),
    (44, "Ideogram", "https://api.ideogram.ai"),
    (45, "SiliconFlow", "https://api.siliconflow.cn"),
    (46, "Flux", ""),
    (47, "Jina", "https://api.jina.ai"),
    (48, "Rerank", ""),
    (49, "GitHub", "https://models.inference.ai.azure.com"),
    (51, "Recraft", "https://external.api.recraft.ai"),
    (52, "Replicate", "https://api.replicate.com"),
    (53, "Kling", "https://api.klingai.com"),
    (54, "Azure Databricks", _REQUIRED),
    (55, "Azure OpenAI V1", _REQUIRED),
    (56, "xAI", "https://api.x.ai"),
]
"""One Hub's `ChannelType*` constants (`common/config/constants.go`, onehub.md §5), named as New API
names the same provider so copies find their type by name. From 24 on the numbers are One Hub's own."""

_DONEHUB_OWN: list[tuple[int, str, object]] = [
    (57, "Gemini CLI", ""),
    (58, "Claude Code", ""),
    (59, "Codex (OAuth)", ""),
    (60, "Antigravity", ""),
    (61, "VertexAI Express", ""),
    (62, "AWS Bedrock (Messages)", ""),
]
"""Done Hub's additions (57-62 mean other providers on New API; 57-60 keep OAuth JSON in the key)."""

ONEHUB_TYPES = TypeCatalog((_entry(*row) for row in _ONEHUB_TYPES), numbering="onehub")
DONEHUB_TYPES = TypeCatalog((_entry(*row) for row in _ONEHUB_TYPES + _DONEHUB_OWN), numbering="onehub")

_OCTOPUS_LEGACY = [
    (0, "OpenAI Chat", "https://api.openai.com/v1"),
    (1, "OpenAI Responses", "https://api.openai.com/v1"),
    (2, "Anthropic", "https://api.anthropic.com/v1"),
    (3, "Gemini", "https://generativelanguage.googleapis.com/v1beta"),
    (4, "Volcengine", "https://ark.cn-beijing.volces.com/api/v3"),
    (5, "OpenAI Embedding", "https://api.openai.com/v1"),
]
_OCTOPUS_CURRENT = [
    ("openai", "OpenAI Chat", "https://api.openai.com/v1"),
    ("openai_responses", "OpenAI Responses", "https://api.openai.com/v1"),
    ("anthropic", "Anthropic", "https://api.anthropic.com/v1"),
    ("gemini", "Gemini", "https://generativelanguage.googleapis.com/v1beta"),
    ("volcengine", "Volcengine", "https://ark.cn-beijing.volces.com/api/v3"),
]
OCTOPUS_LEGACY_TYPES = TypeCatalog(
    (ChannelType(code, name, base, base_url_required=True) for code, name, base in _OCTOPUS_LEGACY),
    numbering="octopus-legacy",
)
OCTOPUS_CURRENT_TYPES = TypeCatalog(
    (ChannelType(code, name, base, base_url_required=True) for code, name, base in _OCTOPUS_CURRENT),
    numbering="octopus-current",
)

CLAUDECODEHUB_TYPES = TypeCatalog(
    (
        ChannelType(code, name, base, base_url_required=True)
        for code, name, base in [
            ("claude", "Claude", "https://api.anthropic.com"),
            ("codex", "Codex", "https://api.openai.com"),
            ("gemini", "Gemini", "https://generativelanguage.googleapis.com"),
            ("openai-compatible", "OpenAI Compatible", "https://api.openai.com"),
        ]
    ),
    numbering="claudecodehub",
)
"""`PUBLIC_PROVIDER_TYPE_VALUES` (claude-code-hub.md §4): Anthropic Messages, OpenAI Responses,
Gemini and OpenAI Chat Completions. Base URLs carry no version segment: the server appends
`/v1/messages`, `/v1/responses`, `/v1beta/models/…` or `/v1/chat/completions` itself. The hidden
legacy types `claude-auth` and `gemini-cli` are neither listed nor accepted by the REST API."""


_AXONHUB_TYPES: list[tuple[str, str, str]] = [
    ("openai", "OpenAI", "https://api.openai.com/v1"),
    ("openai_responses", "OpenAI Responses", "https://api.openai.com/v1"),
    ("anthropic", "Anthropic", "https://api.anthropic.com"),
    ("anthropic_aws", "Anthropic on AWS Bedrock", "https://bedrock-runtime.us-east-1.amazonaws.com"),
    ("anthropic_gcp", "Anthropic on Google Vertex", "https://us-east5-aiplatform.googleapis.com"),
    ("gemini_openai", "Gemini (OpenAI API)", "https://generativelanguage.googleapis.com/v1beta/openai"),
    ("gemini", "Gemini", "https://generativelanguage.googleapis.com/v1beta"),
    ("gemini_vertex", "Gemini on Vertex", "https://aiplatform.googleapis.com/v1"),
    ("deepseek", "DeepSeek", "https://api.deepseek.com/v1"),
    ("deepseek_anthropic", "DeepSeek (Anthropic API)", "https://api.deepseek.com/anthropic"),
    ("deepinfra", "DeepInfra", "https://api.deepinfra.com/v1/openai"),
    ("doubao", "Doubao", "https://ark.cn-beijing.volces.com/api/v3"),
    ("doubao_anthropic", "Doubao (Anthropic API)", "https://ark.cn-beijing.volces.com/api/compatible"),
    ("moonshot", "Moonshot", "https://api.moonshot.cn/v1"),
    ("moonshot_anthropic", "Moonshot (Anthropic API)", "https://api.moonshot.cn/anthropic"),
    ("zhipu", "Zhipu", "https://open.bigmodel.cn/api/paas/v4"),
    ("zai", "Z.ai", "https://api.z.ai/api/paas/v4"),
    ("zhipu_anthropic", "Zhipu (Anthropic API)", "https://open.bigmodel.cn/api/anthropic"),
    ("zai_anthropic", "Z.ai (Anthropic API)", "https://api.z.ai/api/anthropic"),
    ("openrouter", "OpenRouter", "https://openrouter.ai/api/v1"),
    ("vercel", "Vercel AI Gateway", "https://ai-gateway.vercel.sh/v1"),
    ("xai", "xAI", "https://api.x.ai/v1"),
    ("ppio", "PPIO", "https://api.ppinfra.com/openai/v1"),
    ("siliconflow", "SiliconFlow", "https://api.siliconflow.cn/v1"),
    ("volcengine", "Volcengine", "https://ark.cn-beijing.volces.com/api/v3"),
    ("longcat", "LongCat", "https://api.longcat.chat/openai/v1"),
    ("longcat_anthropic", "LongCat (Anthropic API)", "https://api.longcat.chat/anthropic"),
    ("minimax", "MiniMax", "https://api.minimaxi.com/v1"),
    ("minimax_anthropic", "MiniMax (Anthropic API)", "https://api.minimaxi.com/anthropic"),
    ("aihubmix", "AiHubMix", "https://aihubmix.com/v1"),
    ("burncloud", "BurnCloud", "https://ai.burncloud.com/v1"),
    ("modelscope", "ModelScope", "https://api-inference.modelscope.cn/v1"),
    ("bailian", "Bailian", "https://dashscope.aliyuncs.com/compatible-mode/v1"),
    ("jina", "Jina", "https://api.jina.ai/v1"),
    ("github", "GitHub Models", "https://models.github.ai/inference"),
    ("ollama", "Ollama", ""),
    ("anthropic_fake", "Anthropic (fake)", "https://api.anthropic.com/v1"),
    ("openai_fake", "OpenAI (fake)", "https://api.openai.com/v1"),
]
"""AxonHub's `ChannelType` enum values with a readable name and the web UI's default base URL
(axonhub.md §3.4). The list grows every release, so a connected client reads the live enum by
introspection and names unlisted values after their code."""

AXONHUB_TYPES = TypeCatalog(
    (ChannelType(code, name, base, base_url_required=not base) for code, name, base in _AXONHUB_TYPES),
    numbering="axonhub",
)


def axonhub_types(codes: list[str]) -> TypeCatalog:
    """The catalog of a connected AxonHub: its live enum values, known ones with their names."""
    return TypeCatalog(
        (
            AXONHUB_TYPES.get(code) if code in AXONHUB_TYPES else ChannelType(code, code, "", base_url_required=True)
            for code in codes
        ),
        numbering="axonhub",
    )
