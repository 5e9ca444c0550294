import KubereachCLI

Kubereach.runAsProcess()
