module llmcm.test/goregexporacle

go 1.21
