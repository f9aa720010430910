/**
 * llmcm's first-party default rule set, in gitleaks v8 TOML so it goes through the same loader as a
 * user's `.gitleaks.toml` (and `[extend] useDefault = true` in a user config extends it).
 * Written for this project, strongest on LLM providers; each rule has true- and false-positive
 * samples in test/unit/scan/default-rules.test.ts.
 * Patterns are Go RE2. Identifier prefixes are assembled with `\x` escapes or classes where a
 * literal would itself look like a key to other scanners; none of these strings is a credential.
 */
export const defaultRulesToml = String.raw`
title = "llmcm default secret rules"

[[allowlists]]
description = "placeholders and references that are never secrets"
regexes = [
  '''^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$''',
  '''^\{\{[^}]*\}\}$''',
  '''^<[^>]*>$''',
  '''(?i)^(?:true|false|null|none|changeme|example|placeholder|redacted|dummy|x+|\*+)$''',
  '''^(?:os\.environ/|env:|vault:|ref\+)[\w./:#-]+$''',
]
stopwords = ["example", "placeholder", "your_api_key", "your-api-key", "xxxxxxxx", "dummy", "changeme", "redacted"]

[[allowlists]]
description = "lock files and vendored dependencies"
paths = [
  '''(?:^|/)(?:package-lock\.json|npm-shrinkwrap\.json|pnpm-lock\.yaml|yarn\.lock|go\.sum|Cargo\.lock|poetry\.lock)$''',
  '''(?:^|/)node_modules/''',
]

# ---------------------------------------------------------------- OpenAI
[[rules]]
id = "openai-api-key"
description = "OpenAI API key (legacy user key)"
regex = '''\b(sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})\b'''
keywords = ["t3blbkfj"]
tags = ["llm", "openai"]

[[rules]]
id = "openai-project-key"
description = "OpenAI project or service-account API key"
regex = '''\b(sk-(?:proj|svcacct|None)-[A-Za-z0-9_-]{20,200}T3BlbkFJ[A-Za-z0-9_-]{20,200})(?:[^A-Za-z0-9_-]|$)'''
keywords = ["sk-proj-", "sk-svcacct-", "sk-none-"]
tags = ["llm", "openai"]

[[rules]]
id = "openai-admin-key"
description = "OpenAI admin API key (organization-wide)"
regex = '''\b(sk-admin-[A-Za-z0-9_-]{40,200})(?:[^A-Za-z0-9_-]|$)'''
entropy = 3.5
keywords = ["sk-admin-"]
tags = ["llm", "openai", "admin"]

# ---------------------------------------------------------------- Anthropic
[[rules]]
id = "anthropic-api-key"
description = "Anthropic API key"
regex = '''\b(sk-ant-api03-[A-Za-z0-9_-]{93}AA)(?:[^A-Za-z0-9_-]|$)'''
keywords = ["sk-ant-api03"]
tags = ["llm", "anthropic"]

[[rules]]
id = "anthropic-admin-key"
description = "Anthropic admin API key"
regex = '''\b(sk-ant-admin01-[A-Za-z0-9_-]{93}AA)(?:[^A-Za-z0-9_-]|$)'''
keywords = ["sk-ant-admin01"]
tags = ["llm", "anthropic", "admin"]

# ---------------------------------------------------------------- Google
[[rules]]
id = "google-api-key"
description = "Google API key (AI Studio / Gemini, Maps, ...)"
regex = '''\b(AIza[0-9A-Za-z_-]{35})(?:[^0-9A-Za-z_-]|$)'''
keywords = ["aiza"]
tags = ["llm", "google"]

[[rules]]
id = "gcp-service-account-key"
description = "Google Cloud (Vertex AI) service-account JSON private key id"
regex = '''"private_key_id"\s*:\s*"([a-f0-9]{40})"'''
keywords = ["private_key_id"]
tags = ["llm", "google", "vertex"]

# ---------------------------------------------------------------- Azure OpenAI
[[rules]]
id = "azure-openai-key"
description = "Azure OpenAI / Azure AI services key"
regex = '''(?i)(?:azure[_.-]?(?:openai|ai|cognitive)|aoai|openai[_.-]?azure)[\w.-]{0,25}(?:key|secret)[\w.-]{0,10}["']?\s*[:=]\s*["']?([a-f0-9]{32}|[A-Za-z0-9]{84})(?:[^A-Za-z0-9]|$)'''
keywords = ["azure", "aoai"]
tags = ["llm", "azure"]

# ---------------------------------------------------------------- AWS (Bedrock)
[[rules]]
id = "aws-access-key-id"
description = "AWS access key id"
regex = '''\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b'''
entropy = 3.0
keywords = ["akia", "asia", "abia", "acca"]
tags = ["cloud", "aws", "bedrock"]

[[rules]]
id = "aws-secret-access-key"
description = "AWS secret access key"
regex = '''(?i)aws[_.-]?secret[_.-]?(?:access[_.-]?)?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+]|$)'''
entropy = 3.5
keywords = ["aws"]
tags = ["cloud", "aws", "bedrock"]

[[rules]]
id = "aws-bedrock-api-key"
description = "Amazon Bedrock API key"
regex = '''\b(ABSK[A-Za-z0-9+/]{100,400}={0,2})'''
entropy = 4.0
keywords = ["absk"]
tags = ["llm", "aws", "bedrock"]

# ---------------------------------------------------------------- other LLM providers
[[rules]]
id = "cohere-api-key"
description = "Cohere API key"
regex = '''(?i)(?:cohere|co_api_key)[\w.-]{0,20}["']?\s*[:=]\s*["']?([A-Za-z0-9]{40})(?:[^A-Za-z0-9]|$)'''
entropy = 3.5
keywords = ["cohere", "co_api_key"]
tags = ["llm", "cohere"]

[[rules]]
id = "mistral-api-key"
description = "Mistral AI API key"
regex = '''(?i)mistral[\w.-]{0,20}["']?\s*[:=]\s*["']?([A-Za-z0-9]{32})(?:[^A-Za-z0-9]|$)'''
entropy = 3.5
keywords = ["mistral"]
tags = ["llm", "mistral"]

[[rules]]
id = "groq-api-key"
description = "Groq API key"
regex = '''\b(gsk_[A-Za-z0-9]{52})\b'''
keywords = ["gsk_"]
tags = ["llm", "groq"]

[[rules]]
id = "huggingface-token"
description = "Hugging Face access token"
regex = '''\b((?:hf_|api_org_)[A-Za-z]{34})\b'''
entropy = 3.0
keywords = ["hf_", "api_org_"]
tags = ["llm", "huggingface"]

[[rules]]
id = "replicate-api-token"
description = "Replicate API token"
regex = '''\b(r8_[A-Za-z0-9]{37})\b'''
keywords = ["r8_"]
tags = ["llm", "replicate"]

[[rules]]
id = "together-api-key"
description = "Together AI API key"
regex = '''\b(tgp_v1_[A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$)|(?i:together[\w.-]{0,20}["']?\s*[:=]\s*["']?)([a-f0-9]{64})\b'''
keywords = ["tgp_v1_", "together"]
tags = ["llm", "together"]

[[rules]]
id = "perplexity-api-key"
description = "Perplexity API key"
regex = '''\b(pplx-[A-Za-z0-9]{48})\b'''
keywords = ["pplx-"]
tags = ["llm", "perplexity"]

[[rules]]
id = "langsmith-api-key"
description = "LangSmith (LangChain) API key"
regex = '''\b(lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10})\b'''
keywords = ["lsv2_"]
tags = ["llm", "langsmith"]

[[rules]]
id = "pinecone-api-key"
description = "Pinecone API key"
regex = '''\b(pcsk_[A-Za-z0-9]{4,8}_[A-Za-z0-9]{50,80})\b|(?i:pinecone[\w.-]{0,20}["']?\s*[:=]\s*["']?)([a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})\b'''
keywords = ["pcsk_", "pinecone"]
tags = ["llm", "vector-db", "pinecone"]

# ---------------------------------------------------------------- keys and tokens
[[rules]]
id = "age-secret-key"
description = "age secret key (decrypts SOPS files)"
regex = '''\b(AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})\b'''
keywords = ["age-secret-key-1"]
tags = ["key", "age", "sops"]

[[rules]]
id = "private-key"
description = "PEM private key"
regex = '''(?i)-----BEGIN[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]{64,}?-----END[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----'''
keywords = ["-----begin"]
tags = ["key", "pem"]

[[rules]]
id = "github-token"
description = "GitHub personal access, OAuth, app or refresh token"
regex = '''\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36})\b'''
entropy = 3.0
keywords = ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]
tags = ["vcs", "github"]

[[rules]]
id = "github-fine-grained-token"
description = "GitHub fine-grained personal access token"
regex = '''\b(github_pat_[A-Za-z0-9_]{82})\b'''
keywords = ["github_pat_"]
tags = ["vcs", "github"]

[[rules]]
id = "slack-token"
description = "Slack bot, user, app or configuration token"
regex = '''\b(xox[bpears]-[0-9]{8,13}-[0-9A-Za-z-]{8,200}|xapp-[0-9]-[A-Z0-9]{8,12}-[0-9]{8,13}-[a-f0-9]{32,80})\b'''
entropy = 3.0
keywords = ["xoxb-", "xoxp-", "xoxe-", "xoxa-", "xoxr-", "xoxs-", "xapp-"]
tags = ["chat", "slack"]

[[rules]]
id = "slack-webhook-url"
description = "Slack incoming webhook URL"
regex = '''(https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{40,120})'''
keywords = ["hooks.slack.com"]
tags = ["chat", "slack"]

[[rules]]
id = "jwt"
description = "JSON Web Token"
regex = '''\b(eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,})(?:[^A-Za-z0-9_.-]|$)'''
entropy = 3.0
keywords = ["eyj"]
tags = ["token", "jwt"]

# ---------------------------------------------------------------- generic
[[rules]]
id = "generic-api-key"
description = "High-entropy value assigned to a secret-looking key"
regex = '''(?i)(?:api[_.-]?key|secret|token|passw(?:or)?d|credential|auth[_.-]?key|private[_.-]?key)[\w.-]{0,20}["']?[ \t]*(?:=|:|=>|:=)[ \t]*["'\x60]?([A-Za-z0-9_.=+/~-]{16,256})(?:["'\x60;,\s]|$)'''
entropy = 3.7
keywords = ["api", "key", "secret", "token", "passw", "credential", "auth"]
tags = ["generic"]

[[rules.allowlists]]
description = "SOPS ciphertext, file paths, URLs without credentials and obvious code references"
regexTarget = "line"
regexes = [
  '''ENC\[AES256_GCM,''',
  '''(?i)(?:secret|token|key)[\w.-]{0,20}["']?\s*[:=]\s*["']?(?:/|\./|~/|https?://[^:@/\s]+/)''',
]
`;
